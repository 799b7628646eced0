package webhooks

import "embed"

// Templates holds the webhooks' email templates, for mail.NewRenderer.
//
//go:embed templates/*.tmpl
var Templates embed.FS
