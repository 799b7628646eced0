package config

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// defaultDevKeysFile is where development keys live unless
// HPA_DEV_KEYS_FILE says otherwise: .data/ is git-ignored.
const defaultDevKeysFile = ".data/dev-keys.env"

// devKeyNames are the keys development makes up when they are not set.
// Random keys per process made sealed member data unreadable after every
// restart; made once and kept, a developer's data survives.
var devKeyNames = []string{"HPA_JWT_KEYS", "HPA_ENCRYPTION_KEYS", "HPA_HASH_KEY"}

// devKeys returns the development keys kept in path (NAME=value lines),
// first making and saving any that are missing. created reports whether
// the file was written.
func devKeys(path string) (values map[string]string, created bool, err error) {
	values, err = readDevKeys(path)
	if err != nil {
		return nil, false, err
	}
	missing := false
	for _, name := range devKeyNames {
		if values[name] == "" {
			values[name], missing = newDevKey(name), true
		}
	}
	if !missing {
		return values, false, nil
	}
	if err := writeDevKeys(path, values); err != nil {
		return nil, false, err
	}
	// Another process starting at the same moment may have won the race to
	// create the file: whatever is on disk now is what every process uses.
	values, err = readDevKeys(path)
	return values, true, err
}

func newDevKey(name string) string {
	secret := base64.RawURLEncoding.EncodeToString([]byte(randomBytes(32)))
	if name == "HPA_HASH_KEY" {
		return secret
	}
	return "dev-" + randomHex(4) + ":" + secret
}

func readDevKeys(path string) (map[string]string, error) {
	values := map[string]string{}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return values, nil
	}
	if err != nil {
		return nil, err
	}
	lines := bufio.NewScanner(bytes.NewReader(b))
	for lines.Scan() {
		line := strings.TrimSpace(lines.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s: lines must be NAME=value", path)
		}
		values[strings.TrimSpace(name)] = strings.TrimSpace(value)
	}
	return values, lines.Err()
}

// writeDevKeys saves values with mode 0600 so that no reader ever sees a
// half-written file: a new file is linked into place only if none exists
// yet (a concurrent start keeps the first), a file missing some keys is
// replaced by rename.
func writeDevKeys(path string, values map[string]string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".dev-keys-*") // created 0600
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	var b strings.Builder
	fmt.Fprintf(&b, "# Development keys for the HPA API, made %s. Never use them in production.\n", time.Now().UTC().Format(time.DateOnly))
	b.WriteString("# Deleting this file makes new keys: data sealed with these becomes unreadable.\n")
	for _, name := range devKeyNames {
		fmt.Fprintf(&b, "%s=%s\n", name, values[name])
	}
	if _, err := tmp.WriteString(b.String()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	err = os.Link(tmp.Name(), path)
	if err == nil {
		return nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return os.Rename(tmp.Name(), path) // a file system without hard links
	}
	// The file exists: another process made it first, or it lacks a key.
	if existing, err := readDevKeys(path); err == nil && complete(existing) {
		return nil
	}
	return os.Rename(tmp.Name(), path)
}

func complete(values map[string]string) bool {
	for _, name := range devKeyNames {
		if values[name] == "" {
			return false
		}
	}
	return true
}
