package engagement

import "embed"

// Templates holds engagement's email templates, for mail.NewRenderer.
//
//go:embed templates/*.tmpl
var Templates embed.FS
