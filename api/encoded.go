package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"sync"

	"github.com/danielgtaylor/huma/v2"
)

// encodedCache keeps the JSON encoding of hot public documents, keyed by
// content version, so a cached document costs a copy rather than a
// reflection walk per request. Entries for old versions are never read
// again; the cache is cleared when it grows past a bound.
type encodedCache struct {
	mu      sync.RWMutex
	entries map[string][]byte
}

const encodedCacheMax = 1024

func newEncodedCache() *encodedCache { return &encodedCache{entries: map[string][]byte{}} }

// get returns the encoding of the document with the given key (which must
// change whenever the document does), building it on first use.
func (c *encodedCache) get(key string, build func() any) []byte {
	c.mu.RLock()
	b, ok := c.entries[key]
	c.mu.RUnlock()
	if ok {
		return b
	}
	b, err := json.Marshal(build())
	if err != nil {
		panic("encode cached document: " + err.Error()) // plain structs only
	}
	c.mu.Lock()
	if len(c.entries) >= encodedCacheMax {
		clear(c.entries)
	}
	c.entries[key] = b
	c.mu.Unlock()
	return b
}

// encodedOutput sends a pre-encoded JSON document with its validators. The
// operation documents the document's real schema with encodedResponses.
type encodedOutput struct {
	// Status is 200, or 304 with no body and no Content-Type.
	Status       int
	ContentType  string `header:"Content-Type"`
	ETag         string `header:"ETag" doc:"Strong validator of this representation."`
	CacheControl string `header:"Cache-Control"`
	Body         []byte
}

func newEncodedOutput(etag string, body []byte) *encodedOutput {
	return &encodedOutput{Status: http.StatusOK, ContentType: "application/json", ETag: etag, CacheControl: publicCacheControl, Body: body}
}

// encodedResponses documents a 200 carrying a T (sent pre-encoded) and the
// 304 a conditional GET can return.
func encodedResponses[T any](hapi huma.API, description string) map[string]*huma.Response {
	responses := notModifiedResponse()
	responses["200"] = jsonResponse[T](hapi, description)
	return responses
}

// jsonResponse documents a response whose JSON body is a T, for operations
// that write their body as bytes (pre-encoded or replayed).
func jsonResponse[T any](hapi huma.API, description string) *huma.Response {
	schema := hapi.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[T](), true, "")
	return &huma.Response{Description: description, Content: map[string]*huma.MediaType{"application/json": {Schema: schema}}}
}
