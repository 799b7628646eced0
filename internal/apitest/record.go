package apitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// recordExample keeps what a successful call sent and received as the
// contract's examples (api/examples: <operation-id>.request.json and
// <operation-id>.<status>.json) when HPA_RECORD_EXAMPLES names a
// directory: run tests with it set and the operations they reach
// document themselves with real documents. Only answers with a 2xx status
// are kept, so a request example is one the server accepted; a list's
// answer is kept only once it shows an item; a file already there is
// never overwritten, so hand-chosen examples stay and the first call
// recorded wins.
func recordExample(req *http.Request, sent []byte, r *Response) {
	dir := os.Getenv("HPA_RECORD_EXAMPLES")
	if dir == "" || r.StatusCode < 200 || r.StatusCode > 299 {
		return
	}
	op := operationFor(req)
	if op == nil {
		return
	}
	recordMu.Lock()
	defer recordMu.Unlock()
	if op.RequestBody != nil && len(sent) > 0 {
		writeExample(filepath.Join(dir, op.OperationID+".request.json"), req.Header.Get("Content-Type"), sent)
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" && len(r.Body) > 0 {
		var doc any
		if strings.HasPrefix(op.OperationID, "list-") && (json.Unmarshal(r.Body, &doc) != nil || !ShowsAnItem(doc)) {
			return
		}
		writeExample(filepath.Join(dir, op.OperationID+"."+strconv.Itoa(r.StatusCode)+".json"), mt, r.Body)
	}
}

// ShowsAnItem reports whether a list's answer (JSON decoded into any) has
// an item: a non-empty array, or an object with a non-empty array field.
func ShowsAnItem(doc any) bool {
	if items, ok := doc.([]any); ok {
		return len(items) > 0
	}
	fields, _ := doc.(map[string]any)
	for _, v := range fields {
		if items, ok := v.([]any); ok && len(items) > 0 {
			return true
		}
	}
	return false
}

// writeExample writes one document, indented, unless the file exists: a
// JSON body as it is, any other text (a CSV import) as a JSON string.
func writeExample(file, contentType string, body []byte) {
	if _, err := os.Stat(file); !errors.Is(err, fs.ErrNotExist) {
		return
	}
	var doc any
	if mt, _, _ := mime.ParseMediaType(contentType); strings.HasSuffix(mt, "json") || json.Valid(body) {
		if json.Unmarshal(body, &doc) != nil {
			return
		}
	} else if strings.HasPrefix(mt, "text/") {
		doc = string(body)
	} else {
		return // binary (a zip): no example to show
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if enc.Encode(doc) != nil {
		return
	}
	_ = os.WriteFile(file, out.Bytes(), 0o644)
}
