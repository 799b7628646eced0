package database

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"text/tabwriter"

	"github.com/harmedpatients/hpa/db"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"
)

// Migrator applies the embedded migrations. A Postgres advisory lock makes
// concurrent start-ups of several instances safe.
type Migrator struct {
	provider *goose.Provider
}

// NewMigrator returns a Migrator working through pool; sealer holds the
// keys that data migrations need (see Sealer).
func NewMigrator(pool *pgxpool.Pool, sealer *Sealer) (*Migrator, error) {
	provider, err := NewProvider(stdlib.OpenDBFromPool(pool), sealer, goose.WithSessionLocker(waitingLock{}))
	if err != nil {
		return nil, err
	}
	return &Migrator{provider: provider}, nil
}

// waitingLock is goose's session lock (the same advisory lock ID, so it
// excludes older versions too), taken by waiting in pg_advisory_lock for
// it to be free rather than, as goose's own locker does, trying again
// every 5 seconds: an instance starting while another applies migrations
// goes on the moment they are done. The wait ends with the context (a
// signal at start-up), not with statement_timeout, since migrations may
// rightly take longer than a query should.
type waitingLock struct{}

// SessionLock implements lock.SessionLocker.
func (waitingLock) SessionLock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, `SET statement_timeout = 0`); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	_, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lock.DefaultLockID)
	if _, resetErr := conn.ExecContext(context.WithoutCancel(ctx), `RESET statement_timeout`); err == nil {
		err = resetErr
	}
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	return nil
}

// SessionUnlock implements lock.SessionLocker.
func (waitingLock) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	var held bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_advisory_unlock($1)`, lock.DefaultLockID).Scan(&held); err != nil {
		return fmt.Errorf("migration unlock: %w", err)
	}
	if !held {
		return fmt.Errorf("migration unlock: the lock was not held")
	}
	return nil
}

// riverMigrationVersion is the goose version that installs River's job
// tables, and riverSchemaVersion the River schema it installs. To take a
// newer River schema, add a goose version that migrates River further.
const (
	riverMigrationVersion = 3
	riverSchemaVersion    = 8
)

// GoMigrations names the migrations written in Go rather than in
// db/migrations: the River schema version installed and the data
// migrations' versions. Whoever keeps migrated databases (internal/pgtest's
// template) includes it in their fingerprint, so a change here is seen.
func GoMigrations() string {
	names := []string{fmt.Sprintf("river-schema-%d", riverSchemaVersion)}
	for _, m := range dataMigrations(nil) {
		names = append(names, fmt.Sprintf("data-%d", m.Version))
	}
	return strings.Join(names, " ")
}

// NewProvider returns the goose provider for every migration: the SQL
// files in db/migrations plus River's own schema, applied through River's
// migrator so its SQL stays River's, plus the data migrations that seal
// personal data with sealer's keys.
func NewProvider(conn *sql.DB, sealer *Sealer, opts ...goose.ProviderOption) (*goose.Provider, error) {
	migrations, err := fs.Sub(db.Migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	// River applies each of its versions in its own transaction (one adds
	// an enum value the next uses, which Postgres forbids in a single one).
	river := goose.NewGoMigration(riverMigrationVersion,
		&goose.GoFunc{RunDB: func(ctx context.Context, conn *sql.DB) error {
			return migrateRiver(ctx, conn, rivermigrate.DirectionUp, riverSchemaVersion)
		}},
		&goose.GoFunc{RunDB: func(ctx context.Context, conn *sql.DB) error {
			return migrateRiver(ctx, conn, rivermigrate.DirectionDown, -1)
		}})
	opts = append(opts, goose.WithGoMigrations(append([]*goose.Migration{river}, dataMigrations(sealer)...)...))
	provider, err := goose.NewProvider(goose.DialectPostgres, conn, migrations, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return provider, nil
}

func migrateRiver(ctx context.Context, conn *sql.DB, direction rivermigrate.Direction, target int) error {
	m, err := rivermigrate.New(riverdatabasesql.New(conn), nil)
	if err != nil {
		return err
	}
	if _, err = m.Migrate(ctx, direction, &rivermigrate.MigrateOpts{TargetVersion: target}); err != nil {
		return fmt.Errorf("river schema: %w", err)
	}
	return nil
}

// Up applies every pending migration and returns how many it applied.
func (m *Migrator) Up(ctx context.Context) (int, error) {
	results, err := m.provider.Up(ctx)
	if err != nil {
		return len(results), fmt.Errorf("migrate up: %w", err)
	}
	return len(results), nil
}

// Down rolls back the most recent migration.
func (m *Migrator) Down(ctx context.Context) error {
	if _, err := m.provider.Down(ctx); err != nil {
		return fmt.Errorf("migrate down: %w", err)
	}
	return nil
}

// Pending reports whether any embedded migration is not yet applied.
func (m *Migrator) Pending(ctx context.Context) (bool, error) {
	pending, err := m.provider.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("check migrations: %w", err)
	}
	return pending, nil
}

// WriteStatus prints every migration with its state to w.
func (m *Migrator) WriteStatus(ctx context.Context, w io.Writer) error {
	statuses, err := m.provider.Status(ctx)
	if err != nil {
		return fmt.Errorf("migration status: %w", err)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tSTATE\tAPPLIED AT\tSOURCE")
	for _, s := range statuses {
		applied := "-"
		if !s.AppliedAt.IsZero() {
			applied = s.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
		}
		source := s.Source.Path
		switch {
		case source != "":
		case s.Source.Version == riverMigrationVersion:
			source = "(go) River job queue schema"
		default:
			source = "(go) sealing personal data"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", s.Source.Version, s.State, applied, source)
	}
	return tw.Flush()
}
