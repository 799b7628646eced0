package content

import (
	"bytes"
	"fmt"
	"html"
	"strconv"
	"strings"
	"unicode"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	goldhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"golang.org/x/text/unicode/norm"
)

// Heading is one heading of a page body, with the anchor (the id of its
// element in the rendered HTML) a table of contents or a link can use.
type Heading struct {
	Level  int    `json:"level"`
	Text   string `json:"text"`
	Anchor string `json:"anchor"`
}

// Rendered is a page body turned into what the site shows.
type Rendered struct {
	// HTML is sanitised: safe to insert into a page as it is.
	HTML string
	// Text is the visible text alone, for search and snippets.
	Text     string
	Headings []Heading
}

// Snippet highlight markers: private-use characters that never survive
// into a page's text, so they can only come from the search query's
// highlighting.
const (
	markStart = "\uE000"
	markStop  = "\uE001"
)

// markdown renders editors' Markdown. Raw HTML is allowed through goldmark
// and then everything passes bluemonday's user-generated-content policy,
// which removes scripts, event handlers, javascript: and other unsafe URLs,
// styles and frames. What the editor wrote is stored untouched; only this
// rendering is served.
type markdown struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
	strip  *bluemonday.Policy
}

func newMarkdown() *markdown {
	policy := bluemonday.UGCPolicy()
	// Editors are HPA's own staff: their links need no nofollow. Links
	// still cannot carry scripts, and ids stay for heading anchors.
	policy.RequireNoFollowOnLinks(false)
	return &markdown{
		md: goldmark.New(
			goldmark.WithExtensions(extension.GFM),
			goldmark.WithParserOptions(parser.WithAutoHeadingID()),
			goldmark.WithRendererOptions(goldhtml.WithUnsafe()),
		),
		policy: policy,
		strip:  bluemonday.StrictPolicy(),
	}
}

// render converts src; it cannot fail on any input (Markdown has no invalid
// documents), only on an internal rendering error.
func (m *markdown) render(src string) (Rendered, error) {
	source := []byte(src)
	ids := &headingIDs{seen: map[string]bool{}}
	doc := m.md.Parser().Parse(text.NewReader(source), parser.WithContext(parser.NewContext(parser.WithIDs(ids))))
	var headings []Heading
	err := ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering {
			id, _ := h.AttributeString("id")
			anchor, _ := id.([]byte)
			headings = append(headings, Heading{Level: h.Level, Text: inlineText(h, source), Anchor: string(anchor)})
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	if err != nil {
		return Rendered{}, fmt.Errorf("walk markdown: %w", err)
	}
	var buf bytes.Buffer
	if err := m.md.Renderer().Render(&buf, source, doc); err != nil {
		return Rendered{}, fmt.Errorf("render markdown: %w", err)
	}
	safe := m.policy.SanitizeBytes(buf.Bytes())
	plain := html.UnescapeString(string(m.strip.SanitizeBytes(safe)))
	plain = strings.NewReplacer(markStart, "", markStop, "").Replace(plain)
	if headings == nil {
		headings = []Heading{}
	}
	return Rendered{HTML: string(safe), Text: strings.Join(strings.Fields(plain), " "), Headings: headings}, nil
}

// inlineText is the visible text of an inline container such as a heading.
func inlineText(n ast.Node, source []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch t := c.(type) {
		case *ast.Text:
			b.Write(t.Segment.Value(source))
			if t.SoftLineBreak() || t.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(t.Value)
		case *ast.RawHTML:
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return strings.Join(strings.Fields(b.String()), " ")
}

// headingIDs makes anchors from heading text: lower-case ASCII letters and
// digits joined by hyphens ("Who we are" → "who-we-are"), unique within the
// page, so they survive sanitising and read well in URLs.
type headingIDs struct {
	seen map[string]bool
}

func (g *headingIDs) Generate(value []byte, _ ast.NodeKind) []byte {
	base := slugify(string(value))
	if base == "" {
		base = "section"
	}
	id := base
	for n := 2; g.seen[id]; n++ {
		id = base + "-" + strconv.Itoa(n)
	}
	g.seen[id] = true
	return []byte(id)
}

func (g *headingIDs) Put(value []byte) { g.seen[string(value)] = true }

// slugify keeps ASCII letters and digits, lower-cased and without their
// accents (é → e), and turns every run of anything else into one hyphen;
// it stops at 80 characters.
func slugify(s string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		if unicode.Is(unicode.Mn, r) {
			continue // a combining accent
		}
		if b.Len() >= 80 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			hyphen = false
			continue
		}
		hyphen = true
	}
	return b.String()
}

// highlight turns a search snippet into safe HTML: the text is escaped and
// only the match markers become <mark> elements.
func highlight(snippet string) string {
	return strings.NewReplacer(markStart, "<mark>", markStop, "</mark>").Replace(html.EscapeString(snippet))
}

// RenderMarkdown renders Markdown from anyone who writes for the site (such
// as an opportunity's organiser) to HTML sanitised exactly as pages are.
func (s *Service) RenderMarkdown(src string) (string, error) {
	r, err := s.md.render(src)
	return r.HTML, err
}
