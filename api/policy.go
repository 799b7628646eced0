package api

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// access is an operation's access policy, declared next to its
// registration and shown in the contract.
type access struct {
	public bool
}

// public lets anyone call the operation.
var public = access{public: true}

const accessMetadataKey = "hpa-access"

// describe renders the policy for the operation's description.
func (a access) describe() string {
	if a.public {
		return "**Access:** public; no credentials needed."
	}
	return "**Access:** denied to everyone."
}

// security is the operation's OpenAPI security requirement.
func (a access) security() []map[string][]string {
	if a.public {
		return []map[string][]string{}
	}
	return nil
}

var kebabCase = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// register adds an operation with its access policy. It refuses, at start-up,
// any operation without an explicit kebab-case ID, a summary and a tag, so
// the contract stays complete. Every operation documents the errors every
// request can meet (429, 500) besides its own.
func register[I, O any](hapi huma.API, a access, op huma.Operation, handler func(context.Context, *I) (*O, error)) {
	if !kebabCase.MatchString(op.OperationID) || op.Summary == "" || len(op.Tags) == 0 {
		panic(fmt.Sprintf("operation %s %s needs a kebab-case OperationID, a Summary and a Tag", op.Method, op.Path))
	}
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	op.Metadata[accessMetadataKey] = a
	op.Security = a.security()
	op.Description = strings.TrimSpace(op.Description + "\n\n" + a.describe())
	op.Errors = append(op.Errors, http.StatusTooManyRequests, http.StatusInternalServerError)
	if hasBody(reflect.TypeFor[I]()) {
		op.Errors = append(op.Errors, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity)
		if op.MaxBodyBytes == 0 {
			op.MaxBodyBytes = maxBodyBytes
		}
	}
	huma.Register(hapi, op, handler)
	// OpenAPI ignores a documented Content-Type response header (the media
	// type says it); pre-encoded outputs set one, so drop it from the docs.
	if item := hapi.OpenAPI().Paths[op.Path]; item != nil {
		for _, registered := range []*huma.Operation{item.Get, item.Post, item.Put, item.Patch, item.Delete} {
			if registered != nil && registered.OperationID == op.OperationID {
				for _, resp := range registered.Responses {
					delete(resp.Headers, "Content-Type")
				}
			}
		}
	}
}

func hasBody(t reflect.Type) bool {
	_, ok := t.FieldByName("Body")
	if !ok {
		_, ok = t.FieldByName("RawBody")
	}
	return ok
}
