package content

import "strings"

// seedPage is a page a fresh install publishes. Bodies are the charity's
// paragraphs, word for word, escaped so Markdown shows them as written.
type seedPage struct {
	slug, title, summary, body string
}

func seedPages(t *SeedText) []seedPage {
	return []seedPage{
		{slug: "home", title: t.Tagline, summary: t.Mission,
			body: "## Our Mission\n\n> " + escapeMarkdown("“"+t.Mission+"”") + "\n\n" + escapeMarkdown(t.Audiences)},
		{slug: "about-us", title: "About us", summary: t.About[0], body: paragraphs(t.About[:len(t.About)-1]...)},
		{slug: "restorative-and-just-culture", title: "Restorative and Just Culture", summary: strings.Join(t.Questions, " "),
			body: paragraphs(t.About[len(t.About)-1])},
		{slug: "join", title: "Join us as a member", summary: firstSentence(t.Join), body: paragraphs(t.Join)},
		{slug: "donate", title: "Help fund our work", summary: t.Donate, body: paragraphs(t.Donate)},
		{slug: "get-in-touch", title: "Get in touch", summary: t.GetInTouch, body: paragraphs(t.GetInTouch)},
	}
}

// seedLink is a seeded call to action or menu item leading to a page.
type seedLink struct {
	key, label, text, button, page string
}

func seedCallsToAction(t *SeedText) []seedLink {
	return []seedLink{
		{key: "join", label: "Join us as a member", text: t.Join, button: "Join us", page: "join"},
		{key: "donate", label: "Help fund our work", text: t.Donate, button: "Donate", page: "donate"},
		{key: "get-in-touch", label: "Get in touch", text: t.GetInTouch, button: "Get in touch", page: "get-in-touch"},
	}
}

func seedMenus() map[Menu][]seedLink {
	return map[Menu][]seedLink{
		MenuHeader: {
			{label: "Home", page: "home"},
			{label: "About us", page: "about-us"},
			{label: "Restorative and Just Culture", page: "restorative-and-just-culture"},
			{label: "Join us", page: "join"},
			{label: "Donate", page: "donate"},
			{label: "Get in touch", page: "get-in-touch"},
		},
		MenuFooter: {
			{label: "Get in touch", page: "get-in-touch"},
			{label: "Donate", page: "donate"},
		},
	}
}

func paragraphs(ps ...string) string {
	escaped := make([]string, len(ps))
	for i, p := range ps {
		escaped[i] = escapeMarkdown(p)
	}
	return strings.Join(escaped, "\n\n")
}

// escapeMarkdown backslash-escapes what Markdown would read as markup in a
// one-line paragraph, so plain text renders exactly as written and stays
// readable for editors: emphasis, code, links, HTML and strikethrough
// characters anywhere, and block markers at the start.
func escapeMarkdown(s string) string {
	var b strings.Builder
	for i, r := range s {
		if strings.ContainsRune("\\`*_[]<>~|", r) || i == 0 && strings.ContainsRune("#-+=", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	out := b.String()
	if digits := len(out) - len(strings.TrimLeft(out, "0123456789")); digits > 0 && digits < len(out) && (out[digits] == '.' || out[digits] == ')') {
		out = out[:digits] + "\\" + out[digits:]
	}
	return out
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i+1]
	}
	return s
}
