package api

import (
	"maps"
	"net/http"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// noDatabaseKey marks, in an operation's metadata, an operation that never
// touches the database, so it cannot answer 503 database-unavailable.
const noDatabaseKey = "hpa-no-database"

// errorDescriptions say in the contract what the error statuses every
// operation may answer mean, with their codes. An operation's own codes are
// in its description.
var errorDescriptions = map[int]string{
	http.StatusBadRequest: "The request could not be read as sent. `unknown-parameter`: the query string names a parameter the operation " +
		"does not take (each one in `errors` as `query.NAME`, with the parameters it takes and the closest one), or a write is sent " +
		"`If-Match`, `If-Unmodified-Since` or `Idempotency-Key` it does not check (`header.NAME`): nothing was done, " +
		"rather than answering as if it were absent. `repeated-parameter`: a parameter is given more than once. " +
		"`bad-request`: the query string or the body is not well-formed. Fix the request; never send it again unchanged. " +
		"Other codes are the operation's own.",
	http.StatusUnprocessableEntity: "The input breaks a rule. `validation-failed`: each invalid field is in `errors`. " +
		"`invalid-text`: text holds a NUL character (`\\u0000`) or bytes that are not UTF-8, which cannot be stored; " +
		"each place is in `errors`. Fix the input; never send it again unchanged. Other codes are the operation's own.",
	http.StatusInternalServerError: "`internal-error`: a fault of the service, logged with the request ID; quote `request_id` when reporting it. " +
		"Retry with back-off only what is safe to repeat (a read, or a write with the same `Idempotency-Key`).",
	http.StatusServiceUnavailable: "`database-unavailable`: the database is briefly away (a restart, a failover). " +
		"Send the same request again after `Retry-After` seconds, with the same `Idempotency-Key` where the operation takes one " +
		"(should the database have gone just as a change was saved, the key makes sure it is made once). " +
		"Other codes, with `Retry-After` where waiting helps, are the operation's own.",
}

// retryAfter documents the Retry-After header of a 503.
var retryAfter = &huma.Param{
	Description: "Seconds to wait before sending the request again.",
	Schema:      &huma.Schema{Type: "integer", Minimum: &oneSecond},
}

var oneSecond = 1.0

// describeErrors gives op's error responses their descriptions and a 503
// its Retry-After header, where the operation has not described them
// itself.
func describeErrors(op *huma.Operation) {
	for status, description := range errorDescriptions {
		resp := op.Responses[strconv.Itoa(status)]
		if resp == nil || resp.Description != http.StatusText(status) {
			continue
		}
		resp.Description = description
		if status == http.StatusServiceUnavailable {
			if resp.Headers == nil {
				resp.Headers = map[string]*huma.Param{}
			}
			resp.Headers["Retry-After"] = retryAfter
		}
	}
}

// dropRawResponses removes the response huma documents for an output
// whose body is raw bytes (pre-encoded or replayed JSON): a JSON string
// in base64 the server never sends. Its headers (Idempotent-Replayed on a
// replay, ETag) move to the success responses the operation declares
// with their real schemas.
func dropRawResponses(op *huma.Operation) {
	for status, resp := range op.Responses {
		media := resp.Content["application/json"]
		if media == nil || media.Schema == nil || media.Schema.ContentEncoding != "base64" {
			continue
		}
		delete(op.Responses, status)
		for other, declared := range op.Responses {
			if other[0] != '2' {
				continue
			}
			for name, header := range resp.Headers {
				if declared.Headers == nil {
					declared.Headers = map[string]*huma.Param{}
				}
				if declared.Headers[name] == nil {
					declared.Headers[name] = header
				}
			}
		}
	}
}

// rateLimitKey marks, in an operation's metadata, the ratelimit.Policy
// limiting it per client address, so the contract declares its RateLimit
// fields; operations API keys may call declare the key's.
const rateLimitKey = "hpa-rate-limit"

// rateLimitFields document the IETF RateLimit fields of a limited
// operation's answers.
var rateLimitFields = map[string]*huma.Param{
	"RateLimit-Policy": {
		Description: "The limit the operation counts against, as an IETF RateLimit-Policy field: its name, quota `q` and window `w` in seconds " +
			"(`\"signup\";q=20;w=3600`). Counted across every instance of the service.",
		Schema: &huma.Schema{Type: "string"},
	},
	"RateLimit": {
		Description: "What is left of that limit, as an IETF RateLimit field: remaining requests `r` and seconds `t` until the window ends (`\"signup\";r=19;t=3412`).",
		Schema:      &huma.Schema{Type: "string"},
	},
}

// retryAfterLimit documents the Retry-After header of a 429.
var retryAfterLimit = &huma.Param{
	Description: "Seconds until the limit's window ends and requests are allowed again.",
	Schema:      &huma.Schema{Type: "integer", Minimum: &oneSecond},
}

// describeRateLimits declares the RateLimit fields on the successful and
// 429 answers of an operation limited per address or by API key, and
// Retry-After on its 429.
func describeRateLimits(op *huma.Operation, keyed bool) {
	if _, perAddress := op.Metadata[rateLimitKey]; !perAddress && !keyed {
		return
	}
	for status, resp := range op.Responses {
		if !strings.HasPrefix(status, "2") && status != "429" {
			continue
		}
		if resp.Headers == nil {
			resp.Headers = map[string]*huma.Param{}
		}
		maps.Copy(resp.Headers, rateLimitFields)
		if status == "429" {
			resp.Headers["Retry-After"] = retryAfterLimit
		}
	}
}
