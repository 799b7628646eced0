package api

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humachi"
)

// requireContentType answers 415 to a request that sends a body without
// saying what it is. huma would read it as JSON anyway, but the contract
// (and docs/partners.md) promise a 415, and a client that forgets the
// header is better told than guessed for. Operations that also take
// text/plain (visit beacons: a browser's sendBeacon may send no type) are
// exempt and read such a body as JSON.
func requireContentType(hapi huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		body := ctx.Operation().RequestBody
		if body == nil || body.Content["text/plain"] != nil || ctx.Header("Content-Type") != "" {
			next(ctx)
			return
		}
		if r, _ := humachi.Unwrap(ctx); r.ContentLength == 0 {
			next(ctx) // no body: nothing to describe
			return
		}
		_ = huma.WriteErr(hapi, ctx, http.StatusUnsupportedMediaType, "the request has a body but no Content-Type: send Content-Type: application/json")
	}
}
