package api

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// exampleFiles are the contract's request and response examples, one JSON
// document per file named <operation-id>.<request|status>.json: realistic
// documents, most of them recorded from a server serving the seeded
// charity content. TestEveryExampleMatchesItsSchema checks each against
// its schema.
//
//go:embed examples/*.json
var exampleFiles embed.FS

// documentExamples attaches the examples to their operations: a request
// example to every content type of the request body, a response example
// to the response's JSON content. A file naming an operation, status or
// body the contract lacks stops the program: the examples must follow the
// operations.
func documentExamples(oapi *huma.OpenAPI) {
	ops := map[string]*huma.Operation{}
	for _, item := range oapi.Paths {
		for _, op := range []*huma.Operation{item.Get, item.Put, item.Post, item.Delete, item.Patch} {
			if op != nil {
				ops[op.OperationID] = op
			}
		}
	}
	files, err := fs.Glob(exampleFiles, "examples/*.json")
	if err != nil {
		panic(err)
	}
	for _, name := range files {
		opID, part, ok := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(name, "examples/"), ".json"), ".")
		op := ops[opID]
		if !ok || op == nil {
			panic(fmt.Sprintf("example %s: no operation %q", name, opID))
		}
		raw, err := exampleFiles.ReadFile(name)
		if err != nil {
			panic(err)
		}
		var example any
		if err := json.Unmarshal(raw, &example); err != nil {
			panic(fmt.Sprintf("example %s: %v", name, err))
		}
		var content map[string]*huma.MediaType
		switch {
		case part == "request" && op.RequestBody != nil:
			content = op.RequestBody.Content
		case op.Responses[part] != nil:
			if media := op.Responses[part].Content["application/json"]; media != nil {
				content = map[string]*huma.MediaType{"application/json": media}
			}
		}
		if len(content) == 0 {
			panic(fmt.Sprintf("example %s: %s has no %s body", name, opID, part))
		}
		for _, media := range content {
			media.Example = example
		}
	}
}
