package database

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// startWait is how long Open waits for a database that does not answer
// yet: one starting at the same time as the service (after a reboot) or
// restarting.
const startWait = 30 * time.Second

// Open connects a pool to the database at url and checks that it answers,
// waiting up to startWait while it cannot be reached (Unavailable) rather
// than failing at once and leaving the service down for as long as its
// supervisor backs off. The limits suit a small API process next to
// Postgres: a bounded pool, idle connections recycled, and a statement
// timeout so one slow query can never hold a connection for ever. UUIDs
// are sent as their bytes (encodeUUIDs).
func Open(ctx context.Context, url string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message can include the password; keep it out.
		return nil, fmt.Errorf("parse database URL: invalid connection string")
	}
	cfg.MaxConns = maxConns
	cfg.MinConns = 1
	cfg.MaxConnLifetime = time.Hour
	cfg.MaxConnLifetimeJitter = 5 * time.Minute
	cfg.MaxConnIdleTime = 10 * time.Minute
	cfg.HealthCheckPeriod = 30 * time.Second
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	if _, ok := cfg.ConnConfig.RuntimeParams["statement_timeout"]; !ok {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = "30s"
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "hpa"
	}
	cfg.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		encodeUUIDs(c.TypeMap())
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database pool: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, startWait)
	defer cancel()
	for delay := 20 * time.Millisecond; ; delay = min(2*delay, time.Second) {
		err := pool.Ping(pingCtx)
		if err == nil {
			return pool, nil
		}
		if !Unavailable(err) || pingCtx.Err() != nil {
			pool.Close()
			return nil, fmt.Errorf("connect to database at %s: %w", redactURL(cfg), err)
		}
		select {
		case <-pingCtx.Done():
		case <-time.After(delay):
		}
	}
}

// redactURL names the server without its credentials, for error messages.
func redactURL(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("%s:%d/%s as %s", c.Host, c.Port, c.Database, c.User)
}
