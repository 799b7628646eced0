package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"path"
	"strings"
	texttemplate "text/template"
)

//go:embed templates/*.tmpl
var baseTemplates embed.FS

// Renderer turns a template name and data into subject, text and HTML.
// Each email NAME has three files: NAME.subject.tmpl, NAME.txt.tmpl and
// NAME.html.tmpl; HTML bodies are wrapped in the shared layout.
type Renderer struct {
	subjects map[string]*texttemplate.Template
	texts    map[string]*texttemplate.Template
	htmls    map[string]*htmltemplate.Template
}

// Rendered is a ready message body.
type Rendered struct {
	Subject, Text, HTML string
}

// NewRenderer loads every template in the given file systems (each holding
// *.tmpl files at its root or in templates/).
func NewRenderer(sources ...fs.FS) (*Renderer, error) {
	layout, err := fs.ReadFile(baseTemplates, "templates/layout.html.tmpl")
	if err != nil {
		return nil, err
	}
	r := &Renderer{subjects: map[string]*texttemplate.Template{}, texts: map[string]*texttemplate.Template{}, htmls: map[string]*htmltemplate.Template{}}
	for _, src := range append([]fs.FS{baseTemplates}, sources...) {
		files, err := fs.Glob(src, "templates/*.tmpl")
		if err != nil {
			return nil, err
		}
		more, _ := fs.Glob(src, "*.tmpl")
		for _, file := range append(files, more...) {
			base := path.Base(file)
			if base == "layout.html.tmpl" {
				continue
			}
			body, err := fs.ReadFile(src, file)
			if err != nil {
				return nil, err
			}
			name, kind, ok := splitTemplateName(base)
			if !ok {
				return nil, fmt.Errorf("mail template %s: want NAME.subject.tmpl, NAME.txt.tmpl or NAME.html.tmpl", file)
			}
			switch kind {
			case "subject":
				r.subjects[name], err = texttemplate.New(base).Option("missingkey=error").Parse(string(body))
			case "txt":
				r.texts[name], err = texttemplate.New(base).Option("missingkey=error").Parse(string(body))
			case "html":
				var t *htmltemplate.Template
				if t, err = htmltemplate.New("layout").Option("missingkey=error").Parse(string(layout)); err == nil {
					_, err = t.New("content").Parse(string(body))
				}
				r.htmls[name] = t
			}
			if err != nil {
				return nil, fmt.Errorf("mail template %s: %w", file, err)
			}
		}
	}
	for name := range r.subjects {
		if r.texts[name] == nil || r.htmls[name] == nil {
			return nil, fmt.Errorf("mail template %s: needs subject, txt and html files", name)
		}
	}
	return r, nil
}

func splitTemplateName(base string) (name, kind string, ok bool) {
	rest, found := strings.CutSuffix(base, ".tmpl")
	if !found {
		return "", "", false
	}
	dot := strings.LastIndexByte(rest, '.')
	if dot < 1 {
		return "", "", false
	}
	name, kind = rest[:dot], rest[dot+1:]
	return name, kind, kind == "subject" || kind == "txt" || kind == "html"
}

// Has reports whether a template exists.
func (r *Renderer) Has(name string) bool { return r.subjects[name] != nil }

// Render fills the named template. The data gets UnsubscribeURL (the
// website's unsubscribe page, or "" for none) added for the layout's footer.
func (r *Renderer) Render(name string, data map[string]any, unsubscribeURL string) (Rendered, error) {
	if !r.Has(name) {
		return Rendered{}, fmt.Errorf("no mail template %q", name)
	}
	view := map[string]any{}
	for k, v := range data {
		view[k] = v
	}
	view["UnsubscribeURL"] = unsubscribeURL
	var subject, text, html bytes.Buffer
	if err := r.subjects[name].Execute(&subject, view); err != nil {
		return Rendered{}, err
	}
	if err := r.texts[name].Execute(&text, view); err != nil {
		return Rendered{}, err
	}
	if err := r.htmls[name].ExecuteTemplate(&html, "layout", view); err != nil {
		return Rendered{}, err
	}
	body := text.String()
	if unsubscribeURL != "" {
		body += "\n\n--\nTo stop these emails: " + unsubscribeURL + "\n"
	}
	return Rendered{Subject: strings.TrimSpace(subject.String()), Text: body, HTML: html.String()}, nil
}
