// Package pgtest gives each test its own freshly migrated PostgreSQL
// database, cloned from a template by pgtestdb so it costs milliseconds.
// Set HPA_TEST_DATABASE_URL to point at a server (default: the local one at
// 127.0.0.1:5432, user postgres); `make test` starts one when none runs.
package pgtest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"testing"

	"github.com/harmedpatients/hpa/db"
	"github.com/harmedpatients/hpa/internal/database"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver pgtestdb uses
	"github.com/peterldowns/pgtestdb"
)

// DefaultURL is the server tests use when HPA_TEST_DATABASE_URL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// URL returns a connection string for a new, migrated, empty database that
// is dropped when the test passes.
func URL(t testing.TB) string {
	t.Helper()
	return pgtestdb.Custom(t, serverConfig(t), migrator{}).URL()
}

// EmptyURL returns a connection string for a new database with no schema
// at all, for tests of the migrations themselves.
func EmptyURL(t testing.TB) string {
	t.Helper()
	return pgtestdb.Custom(t, serverConfig(t), pgtestdb.NoopMigrator{}).URL()
}

// Pool returns a pool on a new, migrated, empty database.
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), URL(t))
	if err != nil {
		t.Fatalf("open test pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func serverConfig(t testing.TB) pgtestdb.Config {
	raw := os.Getenv("HPA_TEST_DATABASE_URL")
	if raw == "" {
		raw = DefaultURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("HPA_TEST_DATABASE_URL is not a URL")
	}
	password, _ := u.User.Password()
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	host := u.Hostname()
	q := u.Query()
	if h := q.Get("host"); h != "" { // a Unix socket directory
		host = h
		q.Del("host")
	}
	if q.Get("sslmode") == "" {
		q.Set("sslmode", "disable")
	}
	database := u.Path
	if len(database) > 0 {
		database = database[1:]
	}
	if database == "" {
		database = "postgres"
	}
	return pgtestdb.Config{
		DriverName: "pgx",
		Host:       host,
		Port:       port,
		User:       u.User.Username(),
		Password:   password,
		Database:   database,
		Options:    q.Encode(),
	}
}

// migrator applies the embedded goose migrations to the template database.
type migrator struct{}

func (migrator) Hash() (string, error) {
	h := sha256.New()
	h.Write([]byte(database.GoMigrations()))
	names, err := fs.Glob(db.Migrations, "migrations/*.sql")
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	for _, name := range names {
		b, err := fs.ReadFile(db.Migrations, name)
		if err != nil {
			return "", err
		}
		h.Write([]byte(name))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

func (migrator) Migrate(ctx context.Context, conn *sql.DB, _ pgtestdb.Config) error {
	provider, err := database.NewProvider(conn, nil)
	if err != nil {
		return err
	}
	_, err = provider.Up(ctx)
	return err
}
