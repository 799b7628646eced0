package database_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/database"
	"github.com/harmedpatients/hpa/internal/pgtest"
	"github.com/jackc/pgx/v5/pgtype"
)

// The pools Open make send a uuid.UUID as its 16 bytes at the first try
// (pgx alone takes its text, fails to send that in binary, builds an error
// and parses the text back), and UUIDs,
// pointers to them, nil ones and arrays of them still arrive intact.
func TestUUIDsAreSentInBinary(t *testing.T) {
	// Not parallel: testing.AllocsPerRun refuses to run in a parallel test.
	ctx := context.Background()
	pool, err := database.Open(ctx, pgtest.URL(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	id := uuid.MustParse("6f1c2a9e-0b7d-4c3e-9a51-2d8f4e6b7c10")
	m := conn.Conn().TypeMap()
	got, err := m.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, id, nil)
	if err != nil || string(got) != string(id[:]) {
		t.Errorf("a uuid.UUID in binary: %x, %v; want its 16 bytes", got, err)
	}
	buf := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(100, func() { _, _ = m.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, id, buf[:0]) })
	t.Logf("%.0f allocations to encode a uuid.UUID", allocs)
	if allocs > 2 {
		t.Errorf("%.0f allocations to encode a uuid.UUID, want at most 2 (not its text, an error and a parse)", allocs)
	}
	var (
		one, viaPointer uuid.UUID
		none            *uuid.UUID
		many            []uuid.UUID
		nilIsNull       bool
	)
	var nilID *uuid.UUID
	err = conn.QueryRow(ctx, `SELECT $1::uuid, $2::uuid, $3::uuid, $3::uuid IS NULL, $4::uuid[]`, id, &id, nilID, []uuid.UUID{id, uuid.Nil}).
		Scan(&one, &viaPointer, &none, &nilIsNull, &many)
	if err != nil {
		t.Fatal(err)
	}
	if one != id || viaPointer != id || none != nil || !nilIsNull || len(many) != 2 || many[0] != id || many[1] != uuid.Nil {
		t.Errorf("round trip: %s %s %v %v %v", one, viaPointer, none, nilIsNull, many)
	}
}
