package mailtest

import (
	"encoding/base64"
	"io"
	"strings"
)

// base64Reader decodes a MIME base64 body, which is wrapped in lines.
func base64Reader(r io.Reader) io.Reader {
	b, err := io.ReadAll(r)
	if err != nil {
		return strings.NewReader("")
	}
	clean := strings.NewReplacer("\r", "", "\n", "").Replace(string(b))
	return base64.NewDecoder(base64.StdEncoding, strings.NewReader(clean))
}
