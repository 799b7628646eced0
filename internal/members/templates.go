package members

import "embed"

// Templates holds membership's email templates, for mail.NewRenderer.
//
//go:embed templates/*.tmpl
var Templates embed.FS
