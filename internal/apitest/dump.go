package apitest

import (
	"os/exec"
	"testing"
)

// Dump returns a plain-SQL dump of the server's whole database (schema and
// data, pg_dump), for tests that prove some personal data is stored
// nowhere in clear.
func (s *Server) Dump(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("pg_dump", "--no-owner", "--no-privileges", "--dbname", s.DBURL).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	return string(out)
}
