package apitest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/harmedpatients/hpa/internal/app"
	"github.com/harmedpatients/hpa/internal/database"
	"github.com/harmedpatients/hpa/internal/mail"
)

// SealedValue is one sealed value in the database, opened.
type SealedValue struct {
	Table, Column, ID string
	Plaintext         string
}

// SealedColumns names every sealed column ("table.column").
func SealedColumns() []string {
	var out []string
	for _, c := range database.SealedColumns() {
		out = append(out, c.Table+"."+c.Column)
	}
	return out
}

// OpenSealed opens every sealed value the service holds (every sealed
// column, and every email in the outbox) with the server's keys: what
// the service could still read, for tests that prove some of it is gone.
func (s *Server) OpenSealed(t testing.TB) []SealedValue {
	t.Helper()
	ring, _, err := app.Sealing(s.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var out []SealedValue
	for _, c := range database.SealedColumns() {
		rows, err := s.Pool.Query(ctx, fmt.Sprintf(`SELECT %s::text, %s FROM %s WHERE %[2]s IS NOT NULL`, c.IDColumn, c.Column, c.Table))
		if err != nil {
			t.Fatalf("read %s.%s: %v", c.Table, c.Column, err)
		}
		for rows.Next() {
			var id string
			var box []byte
			if err := rows.Scan(&id, &box); err != nil {
				t.Fatal(err)
			}
			plain, err := ring.OpenString(box, c.ContextPrefix+id)
			if err != nil {
				t.Errorf("%s.%s %s does not open: %v", c.Table, c.Column, id, err)
			}
			out = append(out, SealedValue{Table: c.Table, Column: c.Column, ID: id, Plaintext: plain})
		}
		rows.Close()
	}
	rows, err := s.Pool.Query(ctx, `SELECT id::text, args FROM river_job WHERE kind = 'mail.send'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var args mail.SendArgs
		var raw []byte
		if err := rows.Scan(&id, &raw); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &args); err != nil {
			t.Fatal(err)
		}
		e, err := mail.Open(ring, args)
		if err != nil {
			t.Errorf("outbox job %s does not open: %v", id, err)
		}
		whole, _ := json.Marshal(e)
		out = append(out, SealedValue{Table: "river_job", Column: "args", ID: id, Plaintext: string(whole)})
	}
	return out
}
