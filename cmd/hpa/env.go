package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/harmedpatients/hpa/internal/app"
	"github.com/harmedpatients/hpa/internal/config"
	"github.com/harmedpatients/hpa/internal/database"
	"github.com/harmedpatients/hpa/internal/logging"
	"github.com/jackc/pgx/v5/pgxpool"
)

// env is what every database-backed command starts from.
type env struct {
	cfg      *config.Config
	logger   *slog.Logger
	pool     *pgxpool.Pool
	migrator *database.Migrator
}

func openEnv(ctx context.Context, getenv func(string) string, logw io.Writer) (*env, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, err
	}
	logger := logging.New(logw, cfg.LogFormat, cfg.LogLevel)
	pool, err := database.Open(ctx, cfg.DatabaseURL.Reveal(), cfg.DBMaxConns)
	if err != nil {
		return nil, err
	}
	migrator, err := app.NewMigrator(cfg, pool)
	if err != nil {
		pool.Close()
		return nil, err
	}
	return &env{cfg: cfg, logger: logger, pool: pool, migrator: migrator}, nil
}

func (e *env) close() { e.pool.Close() }

func (e *env) seed(ctx context.Context) (app.SeedReport, error) {
	return app.Seed(ctx, e.pool, e.cfg)
}
