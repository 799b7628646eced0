package members

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/logging"
	"github.com/harmedpatients/hpa/internal/mail"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/jackc/pgx/v5"
)

// The signup queue. A signup request only checks the audiences and seals
// the signup into a row of member_signup_requests (whatever the address:
// see Signup);
// runners in the background take the rows in batches and carry each batch
// out in one transaction: members, consents, tokens, throttle rows, the
// rows' deletion and one insert for all the confirmation emails. A job
// per signup cost two more inserts in the request and a job row kept a
// day per member, and one transaction per signup could not keep up with
// the requests (docs/performance.md, "Membership: sustained signups").

const (
	// signupBatch bounds a batch: large enough that a backlog is taken in
	// a few commits, small enough that one transaction stays short.
	signupBatch = 200
	// signupRunners take batches side by side (rows one holds are skipped
	// by the other), so one batch's round trips overlap another's.
	signupRunners = 4
	// signupPoll is how often a runner looks for signups it was not told
	// of: queued by another process, or put back after failing.
	signupPoll = time.Second
	// signupAttempts: a signup that fails this often is left for the
	// purge of unconfirmed signups (PurgeUnconfirmed) instead of retried.
	signupAttempts = 12
)

// signupRequest is what a queued signup holds: the signup, and who made it
// and in which request, for the consent history and the audit log.
type signupRequest struct {
	Signup    Signup
	Actor     audit.Actor
	RequestID string
}

func signupRequestContext(id uuid.UUID) string { return "member_signup_requests:" + id.String() }

// queueSignup checks a validated signup's audiences, seals it into
// member_signup_requests (with the signups of requests that arrived
// together: see signupInserts) and wakes a runner.
func (s *Service) queueSignup(ctx context.Context, in Signup) error {
	if err := s.checkSignupAudiences(ctx, in.Profile.Audiences); err != nil {
		return err
	}
	plain, err := json.Marshal(signupRequest{Signup: in, Actor: audit.ActorFrom(ctx), RequestID: logging.RequestID(ctx)})
	if err != nil {
		return fmt.Errorf("queue signup: %w", err)
	}
	id := uuid.New()
	if err := s.inserts.insert(ctx, id, s.ring.Seal(plain, signupRequestContext(id)), s.now()); err != nil {
		return err
	}
	select {
	case s.kick <- struct{}{}:
	default: // a runner is already told
	}
	return nil
}

// checkSignupAudiences is CheckAudiences from content's cached list when
// the service has it: a query per signup was a third of the request's.
func (s *Service) checkSignupAudiences(ctx context.Context, keys []string) error {
	if s.audiences == nil || len(keys) == 0 {
		return CheckAudiences(ctx, s.db, keys, "body.audiences")
	}
	known, err := s.audiences.AudienceKeys(ctx)
	if err != nil {
		return fmt.Errorf("check audiences: %w", err)
	}
	return knownAudiences(keys, known, "body.audiences")
}

// RunSignups carries out queued signups until ctx ends: at once when this
// process queued one, and every signupPoll for the rest. A batch under way
// when ctx ends is finished. It needs the workers' pool (AddWorkers).
func (s *Service) RunSignups(ctx context.Context, logger *slog.Logger) {
	var wg sync.WaitGroup
	for range signupRunners {
		wg.Go(func() { s.runSignups(ctx, logger) })
	}
	wg.Wait()
}

func (s *Service) runSignups(ctx context.Context, logger *slog.Logger) {
	poll := time.NewTicker(signupPoll)
	defer poll.Stop()
	for {
		n, err := s.carryOutSignups(context.WithoutCancel(ctx), logger)
		if err != nil {
			logger.Error("signup queue", "error", err)
		}
		if err == nil && n == signupBatch && ctx.Err() == nil {
			continue // more are waiting
		}
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-poll.C:
		}
	}
}

// carryOutSignups carries out a batch of due signups and reports how many
// it took. If one of them fails the batch, they are carried out again one
// at a time, and those that fail are put back for later.
func (s *Service) carryOutSignups(ctx context.Context, logger *slog.Logger) (int, error) {
	n, err := s.signupBatch(ctx, nil)
	if err == nil {
		return n, nil
	}
	logger.Warn("a signup failed its batch; carrying the batch out one signup at a time", "error", err)
	return s.signupBatch(ctx, logger)
}

// signupBatch claims up to signupBatch due signups and carries them out in
// one transaction. With a logger, each signup runs on its own in a
// savepoint, and one that fails is logged and put back instead of failing
// the batch.
func (s *Service) signupBatch(ctx context.Context, careful *slog.Logger) (int, error) {
	var claimed int
	err := store.WithTx(ctx, s.work, func(tx pgx.Tx) error {
		now := s.now()
		rows, err := store.Q.MemberSignupRequestClaim(ctx, tx, store.MemberSignupRequestClaimParams{Now: now, Batch: signupBatch})
		if err != nil {
			return fmt.Errorf("claim signups: %w", err)
		}
		claimed = len(rows)
		mails := s.outbox.Batch()
		var done []uuid.UUID
		if careful == nil {
			done, err = s.signupsTogether(ctx, tx, mails, rows)
		} else {
			done, err = s.signupsOneByOne(ctx, tx, mails, rows, now, careful)
		}
		if err != nil {
			return err
		}
		if err := store.Q.MemberSignupRequestDelete(ctx, tx, done); err != nil {
			return fmt.Errorf("delete signups done: %w", err)
		}
		return mails.Flush(ctx, tx)
	})
	return claimed, err
}

// signupsTogether carries out rows in tx as one batch (see signups).
func (s *Service) signupsTogether(ctx context.Context, tx pgx.Tx, mails *mail.Batch, rows []store.MemberSignupRequestClaimRow) ([]uuid.UUID, error) {
	qs := make([]queuedSignup, len(rows))
	done := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		q, err := s.openSignup(ctx, r)
		if err != nil {
			return nil, err
		}
		qs[i], done[i] = q, r.ID
	}
	return done, s.signups(ctx, tx, mails, qs)
}

// signupsOneByOne carries out rows in tx each in a savepoint, putting back
// those that fail; it returns those done.
func (s *Service) signupsOneByOne(ctx context.Context, tx pgx.Tx, mails *mail.Batch, rows []store.MemberSignupRequestClaimRow, now time.Time, logger *slog.Logger) ([]uuid.UUID, error) {
	var done []uuid.UUID
	for _, r := range rows {
		mark := mails.Len()
		err := pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
			q, err := s.openSignup(ctx, r)
			if err != nil {
				return err
			}
			return s.signups(ctx, sp, mails, []queuedSignup{q})
		})
		if err == nil {
			done = append(done, r.ID)
			continue
		}
		mails.Truncate(mark)
		logger.Error("signup failed; it is put back", "signup_request", r.ID, "attempt", r.Attempts+1, "error", err)
		if err := store.Q.MemberSignupRequestRetry(ctx, tx, store.MemberSignupRequestRetryParams{ID: r.ID, RunAfter: retryAt(now, r.Attempts+1)}); err != nil {
			return nil, fmt.Errorf("put back signup: %w", err)
		}
	}
	return done, nil
}

// retryAt is when a signup that has failed attempts times is tried again:
// after 2, 4, 8… seconds up to an hour, and never after signupAttempts.
func retryAt(now time.Time, attempts int32) time.Time {
	if attempts >= signupAttempts {
		return now.AddDate(100, 0, 0)
	}
	return now.Add(min(time.Second<<attempts, time.Hour))
}

// openSignup opens a queued signup, with the context of the request that
// made it.
func (s *Service) openSignup(ctx context.Context, r store.MemberSignupRequestClaimRow) (queuedSignup, error) {
	plain, err := s.ring.Open(r.PayloadSealed, signupRequestContext(r.ID))
	if err != nil {
		return queuedSignup{}, fmt.Errorf("signup %s: %w", r.ID, err)
	}
	var req signupRequest
	if err := json.Unmarshal(plain, &req); err != nil {
		return queuedSignup{}, fmt.Errorf("signup %s: %w", r.ID, err)
	}
	return queuedSignup{ctx: audit.WithActor(logging.WithRequestID(ctx, req.RequestID), req.Actor), in: req.Signup}, nil
}
