package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
	"github.com/harmedpatients/hpa/internal/hpa"
)

// maxTextFaults bounds how many bad strings one problem lists.
const maxTextFaults = 20

// signedBodyKey marks, in an operation's metadata, a body signed by its
// sender that stands for something already done (a Stripe event: money
// taken). Refusing its text would lose that, so the body is not checked
// here: the capability makes its text storable where it keeps it.
const signedBodyKey = "hpa-signed-body"

// streamedBodyKey marks, in an operation's metadata, a body the handler
// reads as a stream (an uploaded file far larger than any other body):
// holding it here whole would defeat that, so the capability refuses
// unstorable text itself, row by row.
const streamedBodyKey = "hpa-streamed-body"

// refuseUnstorableText is the one place text the database cannot keep (a
// NUL, bytes that are not UTF-8: hpa.TextFault) is refused, for every
// operation and everything it reads: its path, query and header
// parameters and its body, every string of a JSON body at any depth (keys
// of free-form objects too; not a signed body, see signedBodyKey). It
// answers 422 invalid-text naming each place,
// before any handler runs, so no such value is acknowledged and then fails
// in a background job, and none reaches a query to fail as a 500 that
// clients would retry. It runs after authorize, so an anonymous caller of
// a protected operation still learns only that it needs credentials.
func refuseUnstorableText(hapi huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		op := ctx.Operation()
		faults := paramTextFaults(ctx, op)
		signed, _ := op.Metadata[signedBodyKey].(bool)
		streamed, _ := op.Metadata[streamedBodyKey].(bool)
		if op.RequestBody != nil && !signed && !streamed && len(faults) < maxTextFaults {
			body, replay, err := peekBody(ctx, op.MaxBodyBytes)
			if err != nil {
				_ = huma.WriteErr(hapi, ctx, http.StatusBadRequest, "the request body could not be read", err)
				return
			}
			if body != nil {
				faults = append(faults, bodyTextFaults(ctx.Header("Content-Type"), body)...)
			}
			ctx = replay
		}
		if len(faults) > 0 {
			err := hpa.InvalidText(faults[:min(len(faults), maxTextFaults)]...)
			_ = huma.WriteErr(hapi, ctx, http.StatusUnprocessableEntity, err.Message, err)
			return
		}
		next(ctx)
	}
}

// paramTextFaults checks the parameters the operation declares.
func paramTextFaults(ctx huma.Context, op *huma.Operation) []hpa.FieldError {
	var faults []hpa.FieldError
	var query url.Values
	for _, p := range op.Parameters {
		var values []string
		switch p.In {
		case "path":
			v := ctx.Param(p.Name)
			values = append(values, v)
			if unescaped, err := url.PathUnescape(v); err == nil && unescaped != v {
				values = append(values, unescaped)
			}
		case "query":
			if query == nil {
				// A malformed pair is huma's to report; the rest still count.
				query, _ = url.ParseQuery(ctx.URL().RawQuery)
			}
			values = query[p.Name]
		case "header":
			values = append(values, ctx.Header(p.Name))
		}
		for _, v := range values {
			if fault := hpa.TextFault(v); fault != "" {
				faults = append(faults, hpa.FieldError{Location: p.In + "." + p.Name, Message: fault})
				break
			}
		}
	}
	return faults
}

// peekBody reads the body, up to the operation's limit, and returns it with
// a context that replays it to huma. A body at the limit is returned as
// nil, unread by this check: huma refuses it as too large.
func peekBody(ctx huma.Context, limit int64) ([]byte, huma.Context, error) {
	r := ctx.BodyReader()
	if r == nil {
		return nil, ctx, nil
	}
	body, err := io.ReadAll(io.LimitReader(r, limit))
	if err != nil {
		return nil, ctx, err
	}
	replay := &replayedBody{humaContext: ctx, body: io.MultiReader(bytes.NewReader(body), r)}
	if int64(len(body)) >= limit {
		return nil, replay, nil
	}
	return body, replay, nil
}

// humaContext names huma.Context for embedding: a field called Context
// would hide the interface's Context method.
type humaContext = huma.Context

// replayedBody gives huma a body already read.
type replayedBody struct {
	humaContext
	body io.Reader
}

// BodyReader implements huma.Context.
func (c *replayedBody) BodyReader() io.Reader { return c.body }

// Unwrap lets humachi.Unwrap reach the request underneath.
func (c *replayedBody) Unwrap() huma.Context { return c.humaContext }

// bodyTextFaults checks a body: string by string if it is JSON (as
// application/json, a +json type, or text/plain from sendBeacon), else as
// a whole, by line (CSV).
func bodyTextFaults(contentType string, body []byte) []hpa.FieldError {
	mediaType := "application/json" // huma's default when none is sent
	if contentType != "" {
		mediaType, _, _ = mime.ParseMediaType(contentType)
	}
	if mediaType == "application/json" || strings.HasSuffix(mediaType, "+json") || mediaType == "text/plain" {
		return jsonTextFaults(body)
	}
	line := 1
	for rest := body; len(rest) > 0; line++ {
		text, after, _ := bytes.Cut(rest, []byte("\n"))
		if fault := hpa.TextFault(string(text)); fault != "" {
			return []hpa.FieldError{{Location: "body", Message: fmt.Sprintf("line %d %s", line, fault)}}
		}
		rest = after
	}
	return nil
}

// jsonTextFaults finds the strings in a JSON document that cannot be
// stored, located as huma locates validation errors (body.a.b[2]). A
// document that is not JSON is left for huma to refuse. Most bodies are
// clean, and two quick scans show it without decoding anything.
func jsonTextFaults(body []byte) []hpa.FieldError {
	if utf8.Valid(body) && !bytes.Contains(body, []byte(`\u0000`)) {
		return nil
	}
	type level struct {
		array bool
		index int
		key   string
		isKey bool // in an object, the next string is a key
	}
	var stack []level
	location := func() string {
		var b strings.Builder
		b.WriteString("body")
		for _, l := range stack {
			if l.array {
				b.WriteString("[" + strconv.Itoa(l.index) + "]")
			} else if !l.isKey {
				b.WriteString("." + l.key)
			}
		}
		return b.String()
	}
	// valueDone moves past a value in its container.
	valueDone := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].array {
				stack[n-1].index++
			} else {
				stack[n-1].isKey = true
			}
		}
	}
	var faults []hpa.FieldError
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // numbers are not looked at; 1e999 must not stop the walk
	start := int64(0)
	for len(faults) < maxTextFaults {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil // not JSON: huma says so
		}
		end := dec.InputOffset()
		// The token's bytes, with the separators and spaces before it:
		// decoding replaced bytes that are not UTF-8, so look at these.
		raw := body[start:end]
		start = end
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, level{isKey: true})
			case '[':
				stack = append(stack, level{array: true})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			fault := hpa.TextFault(v)
			if fault == "" && !utf8.Valid(raw) {
				fault = hpa.TextFault(string(raw))
			}
			if n := len(stack); n > 0 && !stack[n-1].array && stack[n-1].isKey {
				if fault != "" {
					faults = append(faults, hpa.FieldError{Location: location(), Message: "has a property name that " + fault})
					// Locations are shown back: never with the bad text.
					v = strings.ReplaceAll(v, "\x00", "\uFFFD")
				}
				stack[n-1].key, stack[n-1].isKey = v, false
				continue
			}
			if fault != "" {
				faults = append(faults, hpa.FieldError{Location: location(), Message: fault})
			}
			valueDone()
		default:
			valueDone()
		}
	}
	return faults
}
