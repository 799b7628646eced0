package content

import (
	"strings"
	"testing"
)

func TestRenderGivesAnchorsAndText(t *testing.T) {
	r, err := newMarkdown().render("# Who we are\n\nWe *listen*.\n\n## Who we are\n\n## Ünïcode & “quotes”\n\n## \u00a0")
	if err != nil {
		t.Fatal(err)
	}
	var anchors []string
	for _, h := range r.Headings {
		anchors = append(anchors, h.Anchor)
	}
	if got := strings.Join(anchors, " "); got != "who-we-are who-we-are-2 unicode-quotes section" {
		t.Errorf("anchors = %s", got)
	}
	if r.Headings[2].Text != "Ünïcode & “quotes”" || r.Headings[1].Level != 2 {
		t.Errorf("headings = %+v", r.Headings)
	}
	if !strings.Contains(r.HTML, `<h2 id="who-we-are-2">`) || !strings.Contains(r.HTML, "<em>listen</em>") {
		t.Errorf("html = %s", r.HTML)
	}
	if !strings.HasPrefix(r.Text, "Who we are We listen. Who we are Ünïcode & “quotes”") {
		t.Errorf("text = %q", r.Text)
	}
}

func TestRenderRemovesEverythingUnsafe(t *testing.T) {
	for _, src := range []string{
		"<script>alert(1)</script>",
		"[x](javascript:alert(1))",
		"<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
		"<img src=x onerror=alert(1)>",
		"<p onmouseover=\"alert(1)\">x</p>",
		"<iframe src=https://evil.example></iframe>",
		"<svg><script>alert(1)</script></svg>",
		"<a href=\"data:text/html;base64,PHNjcmlwdD4=\">x</a>",
		"<style>body{display:none}</style>",
		"<form action=https://evil.example><input name=password></form>",
	} {
		r, err := newMarkdown().render(src)
		if err != nil {
			t.Fatal(err)
		}
		lower := strings.ToLower(r.HTML)
		for _, bad := range []string{"<script", "javascript", "onerror", "onmouseover", "<iframe", "data:", "<style", "<form", "<input", "alert"} {
			if strings.Contains(lower, bad) {
				t.Errorf("%q renders %q, containing %q", src, r.HTML, bad)
			}
		}
	}
}

func TestHighlightEscapesAllButTheMarks(t *testing.T) {
	got := highlight("<b>" + markStart + "harm" + markStop + "</b> & more")
	if got != "&lt;b&gt;<mark>harm</mark>&lt;/b&gt; &amp; more" {
		t.Errorf("highlight = %q", got)
	}
}

func TestValidSlugAgreesWithThePattern(t *testing.T) {
	for _, s := range []string{"", "a", "about-us", "a-b-c", "-a", "a-", "a--b", "About", "a_b", "a b", "é", "1-2", "\xc0\xae", strings.Repeat("a", 100), strings.Repeat("a", 101)} {
		want := slugPattern.MatchString(s) && len(s) <= 100
		if got := validSlug(s); got != want {
			t.Errorf("validSlug(%q) = %v, want %v", s, got, want)
		}
	}
}
