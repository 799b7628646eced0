package api

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/harmedpatients/hpa/internal/idempotency"
	"github.com/harmedpatients/hpa/internal/identity"
)

// idempotencyStore runs a request at most once per caller and key.
type idempotencyStore interface {
	Do(ctx context.Context, r idempotency.Request, fn func(ctx context.Context) (idempotency.Response, error)) (idempotency.Response, bool, error)
	DoLeased(ctx context.Context, r idempotency.Request, fn func(ctx context.Context) (idempotency.Response, error)) (idempotency.Response, bool, error)
}

type idempotentRun func(ctx context.Context, r idempotency.Request, fn func(ctx context.Context) (idempotency.Response, error)) (idempotency.Response, bool, error)

// IdempotencyKey is the optional header that makes a POST safe to retry.
type IdempotencyKey struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" pattern:"^[!-~]+$" doc:"A unique key per logical request (a UUID is ideal). A retry with the same key and body gets the first response again, with Idempotent-Replayed: true; the same key with a different body is a 422; a retry while the first is still running is a 409. Keys are kept 24 hours."`
}

// replayableOutput is a response that may be a replay.
type replayableOutput struct {
	Status      int
	ContentType string `header:"Content-Type"`
	Replayed    string `header:"Idempotent-Replayed" enum:"true" doc:"Present, and true, when this response replays an earlier one."`
	Body        []byte
}

// idempotent runs fn once per caller, operation and Idempotency-Key (when
// one is sent) and answers with its JSON result and status. fn's database
// work must be done through store.WithTx with the context it is given: it
// then commits together with the recorded response (idempotency.Store.Do).
func idempotent(ctx context.Context, store idempotencyStore, operation, key string, rawBody []byte, status int, fn func(ctx context.Context) (any, error)) (*replayableOutput, error) {
	return runIdempotent(ctx, store.Do, operation, key, rawBody, status, fn)
}

// idempotentLeased is idempotent for work that cannot join the key's
// transaction: it calls Stripe, or reads back through the pool what it
// wrote (idempotency.Store.DoLeased).
func idempotentLeased(ctx context.Context, store idempotencyStore, operation, key string, rawBody []byte, status int, fn func(ctx context.Context) (any, error)) (*replayableOutput, error) {
	return runIdempotent(ctx, store.DoLeased, operation, key, rawBody, status, fn)
}

func runIdempotent(ctx context.Context, do idempotentRun, operation, key string, rawBody []byte, status int, fn func(ctx context.Context) (any, error)) (*replayableOutput, error) {
	run := func(ctx context.Context) (idempotency.Response, error) {
		v, err := fn(ctx)
		if err != nil {
			return idempotency.Response{}, err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return idempotency.Response{}, err
		}
		return idempotency.Response{Status: status, Body: b}, nil
	}
	var resp idempotency.Response
	var replayed bool
	var err error
	if key == "" {
		resp, err = run(ctx)
	} else {
		resp, replayed, err = do(ctx, idempotency.Request{Scope: callerScope(ctx), Operation: operation, Key: key, Body: rawBody}, run)
	}
	if err != nil {
		return nil, err
	}
	out := &replayableOutput{Status: resp.Status, ContentType: "application/json", Body: resp.Body}
	if replayed {
		out.Replayed = strconv.FormatBool(true)
	}
	return out, nil
}

// callerScope names who is calling, for idempotency keys: keys of
// different callers never collide.
func callerScope(ctx context.Context) string {
	if c := callerFrom(ctx); c != nil {
		switch c.Kind {
		case identity.APIKey:
			return "key:" + c.ID.String()
		case identity.Staff:
			return "staff:" + c.ID.String()
		case identity.Member:
			return "member:" + c.ID.String()
		}
	}
	return "anon:" + stateOf(ctx).clientIP.String()
}
