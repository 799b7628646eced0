package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/harmedpatients/hpa/api"
	"github.com/harmedpatients/hpa/internal/apitest"
	"github.com/pb33f/libopenapi"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/pb33f/libopenapi/orderedmap"
)

// Every example in the contract is one its schema accepts, so /docs and
// generated clients never show a document the server would not send; every
// error response has its own example, with a code it can carry; and every
// operation, public, staff, partner or member, has an example of its
// request body and of each JSON success response (recorded from the
// running API: see api/examples/README.md). A list's example shows at
// least one item: an empty list tells a client nothing about an item.
func TestEveryExampleMatchesItsSchema(t *testing.T) {
	t.Parallel()
	spec, err := api.New(api.Options{}, api.Services{}).OpenAPI().YAML()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := libopenapi.NewDocument(spec)
	if err != nil {
		t.Fatal(err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	validator := schema_validation.NewSchemaValidator()
	checked := 0
	check := func(where string, content *orderedmap.Map[string, *v3.MediaType], required, list bool) {
		for ct, media := range content.FromOldest() {
			if media.Example == nil {
				if required {
					t.Errorf("%s %s: no example", where, ct)
				}
				continue
			}
			var example any
			if err := media.Example.Decode(&example); err != nil {
				t.Errorf("%s %s: example: %v", where, ct, err)
				continue
			}
			b, _ := json.Marshal(example)
			if list && !apitest.ShowsAnItem(example) {
				t.Errorf("%s %s: the list's example shows no item: %s", where, ct, b)
			}
			if ok, errs := validator.ValidateSchemaBytes(media.Schema.Schema(), b); !ok {
				for _, e := range errs {
					t.Errorf("%s %s: example %s does not match the schema: %s %s", where, ct, b, e.Message, e.Reason)
				}
			}
			checked++
		}
	}
	for path, item := range model.Model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			where := strings.ToUpper(method) + " " + path
			if op.RequestBody != nil {
				check(where+" request", textOnly(op.RequestBody.Content), true, false)
			}
			for status, resp := range op.Responses.Codes.FromOldest() {
				success := status[0] == '2'
				check(where+" "+status, jsonOnly(resp.Content), success || status[0] == '4' || status[0] == '5',
					success && strings.HasPrefix(op.OperationId, "list-"))
			}
		}
	}
	if checked == 0 {
		t.Fatal("no examples checked")
	}
}

// jsonOnly keeps the JSON media types of a response (an iCalendar feed or a
// CSV export has no JSON example to give).
func jsonOnly(content *orderedmap.Map[string, *v3.MediaType]) *orderedmap.Map[string, *v3.MediaType] {
	out := orderedmap.New[string, *v3.MediaType]()
	for ct, media := range content.FromOldest() {
		if strings.HasSuffix(ct, "json") {
			out.Set(ct, media)
		}
	}
	return out
}

// textOnly leaves out the binary media types of a request body (a zip
// import has no example a document can show).
func textOnly(content *orderedmap.Map[string, *v3.MediaType]) *orderedmap.Map[string, *v3.MediaType] {
	out := orderedmap.New[string, *v3.MediaType]()
	for ct, media := range content.FromOldest() {
		if ct != "application/zip" && ct != "application/octet-stream" {
			out.Set(ct, media)
		}
	}
	return out
}
