package api

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/danielgtaylor/huma/v2"
	"github.com/go-chi/chi/v5"
	"github.com/yuin/goldmark"
)

//go:embed docs.html.tmpl
var docsTemplateText string

//go:embed docs.css
var docsCSS []byte

var docsTemplate = template.Must(template.New("docs").Parse(docsTemplateText))

// docsCSP allows the page its own stylesheet and nothing else: no scripts,
// no third-party hosts, so it works offline and cannot be turned against
// its readers.
const docsCSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// registerSpecAndDocs serves the contract as JSON and YAML (3.1, and 3.0 for
// older generators) and a self-contained HTML reference rendered from it.
// They are rendered together on the first request for any of them: most
// processes never serve them, and together they hold megabytes.
func registerSpecAndDocs(router chi.Router, oapi *huma.OpenAPI) {
	documents := sync.OnceValue(func() map[string]http.HandlerFunc {
		specJSON, err := json.MarshalIndent(oapi, "", "  ")
		if err != nil {
			panic(fmt.Sprintf("marshal OpenAPI: %v", err))
		}
		specYAML, err := oapi.YAML()
		if err != nil {
			panic(fmt.Sprintf("marshal OpenAPI YAML: %v", err))
		}
		spec30, err := downgrade(oapi)
		if err != nil {
			panic(fmt.Sprintf("downgrade OpenAPI: %v", err))
		}
		page, err := renderDocs(oapi)
		if err != nil {
			panic(fmt.Sprintf("render docs: %v", err))
		}
		return map[string]http.HandlerFunc{
			"/openapi.json":     staticHandler("application/json", specJSON, ""),
			"/openapi.yaml":     staticHandler("application/yaml", specYAML, ""),
			"/openapi-3.0.json": staticHandler("application/json", spec30, ""),
			"/docs":             staticHandler("text/html; charset=utf-8", page, docsCSP),
		}
	})
	for _, path := range []string{"/openapi.json", "/openapi.yaml", "/openapi-3.0.json", "/docs"} {
		router.Get(path, func(w http.ResponseWriter, r *http.Request) { documents()[path](w, r) })
	}
	router.Get("/docs/docs.css", staticHandler("text/css; charset=utf-8", docsCSS, ""))
}

// downgrade renders the contract as OpenAPI 3.0 for older generators.
// 3.0 has no top-level webhooks, so the outgoing partner webhooks are
// left out (they are described in the 3.1 contract and docs/partners.md).
func downgrade(oapi *huma.OpenAPI) ([]byte, error) {
	spec, err := oapi.Downgrade()
	if err != nil {
		return nil, err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(spec, &doc); err != nil {
		return nil, err
	}
	delete(doc, "webhooks")
	return json.Marshal(doc)
}

// staticHandler serves fixed bytes with a strong ETag.
func staticHandler(contentType string, body []byte, csp string) http.HandlerFunc {
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("ETag", etag)
		h.Set("Cache-Control", "public, max-age=300")
		if csp != "" {
			h.Set("Content-Security-Policy", csp)
		}
		if match := r.Header.Get("If-None-Match"); match != "" && checkNotModified(match, etag, "") != nil {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Type", contentType)
		_, _ = w.Write(body)
	}
}

type docsPage struct {
	Title, Version string
	Description    template.HTML
	Tags           []docsTag
	Schemes        []docsScheme
	Schemas        []docsSchema
}

type docsTag struct {
	Name        string
	Description template.HTML
	Ops         []docsOp
}

type docsOp struct {
	ID, Method, Path, Summary string
	Description               template.HTML
	Security                  []string
	Params                    []docsParam
	Body                      *docsContent
	Responses                 []docsContent
}

type docsParam struct {
	Name, In, Description string
	Type                  template.HTML
	Required              bool
}

type docsContent struct {
	Status, Description, ContentType string
	Type                             template.HTML
	Example                          string
}

type docsScheme struct{ Name, Kind, Description string }

type docsSchema struct {
	Name, Description string
	Props             []docsProp
}

type docsProp struct {
	Name, Description string
	Type              template.HTML
	Required          bool
}

func renderDocs(oapi *huma.OpenAPI) ([]byte, error) {
	reg := oapi.Components.Schemas
	page := docsPage{Title: oapi.Info.Title, Version: oapi.Info.Version, Description: markdown(oapi.Info.Description)}

	byTag := map[string][]docsOp{}
	for path, item := range oapi.Paths {
		for method, op := range map[string]*huma.Operation{"GET": item.Get, "POST": item.Post, "PUT": item.Put, "PATCH": item.Patch, "DELETE": item.Delete} {
			if op == nil {
				continue
			}
			d := docsOp{ID: op.OperationID, Method: method, Path: path, Summary: op.Summary, Description: markdown(op.Description)}
			for _, req := range op.Security {
				for name := range req {
					d.Security = append(d.Security, name)
				}
			}
			for _, p := range op.Parameters {
				d.Params = append(d.Params, docsParam{Name: p.Name, In: p.In, Description: p.Description, Type: typeHTML(p.Schema), Required: p.Required})
			}
			sort.Strings(d.Security)
			if op.RequestBody != nil && len(op.RequestBody.Content) > 0 {
				d.Body = &docsContent{}
				describeContent(d.Body, reg, op.RequestBody.Content)
			}
			for status, resp := range op.Responses {
				c := docsContent{Status: status, Description: resp.Description}
				describeContent(&c, reg, resp.Content)
				d.Responses = append(d.Responses, c)
			}
			sort.Slice(d.Responses, func(i, j int) bool { return d.Responses[i].Status < d.Responses[j].Status })
			tag := "Other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			byTag[tag] = append(byTag[tag], d)
		}
	}
	for _, t := range oapi.Tags {
		ops := byTag[t.Name]
		if len(ops) == 0 {
			continue
		}
		sort.Slice(ops, func(i, j int) bool {
			if ops[i].Path != ops[j].Path {
				return ops[i].Path < ops[j].Path
			}
			return ops[i].Method < ops[j].Method
		})
		page.Tags = append(page.Tags, docsTag{Name: t.Name, Description: markdown(t.Description), Ops: ops})
	}
	for name, s := range oapi.Components.SecuritySchemes {
		kind := s.Type
		if s.Scheme != "" {
			kind += " " + s.Scheme
		}
		if s.In != "" {
			kind += " in " + s.In + " " + s.Name
		}
		page.Schemes = append(page.Schemes, docsScheme{Name: name, Kind: kind, Description: s.Description})
	}
	sort.Slice(page.Schemes, func(i, j int) bool { return page.Schemes[i].Name < page.Schemes[j].Name })
	names := make([]string, 0, len(reg.Map()))
	for name := range reg.Map() {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		s := reg.Map()[name]
		ds := docsSchema{Name: name, Description: s.Description}
		for prop, ps := range s.Properties {
			ds.Props = append(ds.Props, docsProp{Name: prop, Type: typeHTML(ps), Required: slices.Contains(s.Required, prop), Description: ps.Description})
		}
		sort.Slice(ds.Props, func(i, j int) bool { return ds.Props[i].Name < ds.Props[j].Name })
		page.Schemas = append(page.Schemas, ds)
	}
	var buf bytes.Buffer
	if err := docsTemplate.Execute(&buf, page); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// markdown renders the contract's own descriptions (trusted text; goldmark
// drops raw HTML by default).
func markdown(src string) template.HTML {
	var buf bytes.Buffer
	if err := goldmark.Convert([]byte(src), &buf); err != nil {
		return template.HTML(html.EscapeString(src))
	}
	return template.HTML(buf.String()) // #nosec: goldmark output of our own text, raw HTML disabled
}

// typeHTML names a schema's type, linking to named schemas.
func typeHTML(s *huma.Schema) template.HTML {
	if s == nil {
		return ""
	}
	if s.Ref != "" {
		name := s.Ref[strings.LastIndex(s.Ref, "/")+1:]
		return template.HTML(fmt.Sprintf(`<a href="#schema-%s">%s</a>`, html.EscapeString(name), html.EscapeString(name)))
	}
	switch {
	case s.Type == "array" && s.Items != nil:
		return "array of " + typeHTML(s.Items)
	case len(s.Enum) > 0:
		vals := make([]string, len(s.Enum))
		for i, v := range s.Enum {
			vals[i] = fmt.Sprint(v)
		}
		return template.HTML(html.EscapeString(s.Type + ": one of " + strings.Join(vals, ", ")))
	case s.Format != "":
		return template.HTML(html.EscapeString(s.Type + " (" + s.Format + ")"))
	case s.Type == "":
		return "any"
	}
	return template.HTML(html.EscapeString(s.Type))
}

// exampleJSON builds an example document from the schema's examples.
func exampleJSON(reg huma.Registry, s *huma.Schema) string {
	if s == nil {
		return ""
	}
	b, err := json.MarshalIndent(exampleOf(reg, s, 0), "", "  ")
	if err != nil {
		return ""
	}
	return string(b)
}

func exampleOf(reg huma.Registry, s *huma.Schema, depth int) any {
	if s.Ref != "" {
		if depth > 6 {
			return map[string]any{}
		}
		s = reg.SchemaFromRef(s.Ref)
		if s == nil {
			return nil
		}
	}
	switch {
	case len(s.Examples) > 0:
		return s.Examples[0]
	case s.Default != nil:
		return s.Default
	case len(s.Enum) > 0:
		return s.Enum[0]
	}
	switch s.Type {
	case "object":
		obj := map[string]any{}
		for name, ps := range s.Properties {
			obj[name] = exampleOf(reg, ps, depth+1)
		}
		return obj
	case "array":
		if s.Items == nil {
			return []any{}
		}
		return []any{exampleOf(reg, s.Items, depth+1)}
	case "integer":
		if s.Minimum != nil {
			return int(*s.Minimum)
		}
		return 0
	case "number":
		return 0.0
	case "boolean":
		return true
	case "string":
		switch s.Format {
		case "date-time":
			return "2026-01-31T09:30:00Z"
		case "date":
			return "2026-01-31"
		case "email":
			return "someone@example.org"
		case "uri", "url":
			return "https://example.org/"
		case "uuid":
			return "0193a4f4-8d3c-7b1e-9f0a-2c4d6e8f0a1b"
		}
		return "string"
	}
	return nil
}

// describeContent lists a body's media types and shows the JSON one's
// schema and example (or the first type's, when none is JSON).
func describeContent(c *docsContent, reg huma.Registry, content map[string]*huma.MediaType) {
	if len(content) == 0 {
		return
	}
	types := slices.Sorted(maps.Keys(content))
	primary := types[0]
	if _, ok := content["application/json"]; ok {
		primary = "application/json"
	}
	c.ContentType = strings.Join(types, ", ")
	c.Type, c.Example = typeHTML(content[primary].Schema), exampleJSON(reg, content[primary].Schema)
	if example := content[primary].Example; example != nil {
		if b, err := json.MarshalIndent(example, "", "  "); err == nil {
			c.Example = string(b)
		}
	}
}
