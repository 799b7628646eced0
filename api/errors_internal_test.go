package api

import (
	"context"
	"net/http"
	"testing"

	"github.com/harmedpatients/hpa/internal/pgtest"
)

// The last line of defence: a value PostgreSQL itself refuses as data
// (SQLSTATE class 22), which validation should have caught and did not,
// is still the caller's mistake, a 422, never a 500 that clients retry.
func TestDataExceptionsFromTheDatabaseAre422(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	ctx := context.Background()
	for _, c := range []struct {
		name, query string
		arg         any
		code        string
	}{
		{"NUL in text (22021)", `SELECT $1::text`, "a\x00b", "invalid-text"},
		{"bytes that are not UTF-8 (22021)", `SELECT $1::text`, "a\xffb", "invalid-text"},
		{"NUL in jsonb (22P05)", `SELECT $1::jsonb`, `{"a":"\u0000"}`, "invalid-text"},
		{"out of range (22003)", `SELECT $1::int2`, "70000", "invalid-value"},
		{"no such date (22008)", `SELECT $1::date`, "2026-02-30", "invalid-value"},
	} {
		_, err := pool.Exec(ctx, c.query, c.arg)
		if err == nil {
			t.Fatalf("%s: PostgreSQL accepted it", c.name)
		}
		p := problemFor(http.StatusInternalServerError, "unexpected error occurred", err)
		if p.Status != http.StatusUnprocessableEntity || p.Code != c.code {
			t.Errorf("%s (%v): %d %s, want 422 %s", c.name, err, p.Status, p.Code, c.code)
		}
	}
}
