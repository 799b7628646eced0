package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"time"

	"github.com/harmedpatients/hpa/internal/app"
	"github.com/harmedpatients/hpa/internal/database"
	"github.com/harmedpatients/hpa/internal/httpserver"
	"github.com/harmedpatients/hpa/internal/logging"
)

func cmdServe(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	noMigrate := fs.Bool("no-migrate", false, "do not apply pending migrations at start-up")
	noSeed := fs.Bool("no-seed", false, "do not load missing seed content at start-up")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: serve: %v", errUsage, err)
	}
	started := time.Now()
	logs := logging.NewBufferedWriter(stdout, 64<<10, 200*time.Millisecond)
	defer logs.Close()
	env, err := openEnv(ctx, getenv, logs)
	if err != nil {
		return err
	}
	defer env.close()
	log := env.logger

	if !*noMigrate {
		n, err := env.migrator.Up(ctx)
		if err != nil {
			return err
		}
		log.Info("migrations applied", "count", n)
	}
	if !*noSeed {
		report, err := env.seed(ctx)
		if err != nil {
			return err
		}
		log.Info("seed content checked", "added", report.String())
	}

	work, err := database.Open(ctx, env.cfg.DatabaseURL.Reveal(), env.cfg.DBWorkerConns)
	if err != nil {
		return err
	}
	defer work.Close()
	service, err := app.New(env.cfg, env.pool, work, env.migrator, log)
	if err != nil {
		return err
	}
	// Background work outlives the signal: it stops only after the HTTP
	// server has drained, so visit events accepted by the last requests
	// are still written before the pool closes.
	background, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	backgroundDone := make(chan struct{})
	go func() { service.Run(background); close(backgroundDone) }()
	defer func() { stopBackground(); <-backgroundDone }()

	cfg := env.cfg
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s (HPA_HTTP_ADDR): %w", cfg.HTTPAddr, err)
	}
	log.Info("serving", "addr", ln.Addr().String(), "url", "http://"+ln.Addr().String(),
		"docs", "http://"+ln.Addr().String()+"/docs", "startup", time.Since(started).String())
	// Start-up (migrations, seeding, building the contract and the docs)
	// leaves garbage that the relaxed GC setting would keep for a while;
	// hand it back, but while serving: no request need wait for that.
	go debug.FreeOSMemory()
	err = httpserver.Serve(ctx, httpserver.New(service.Handler()), ln,
		httpserver.Drain{Begin: service.Drain, Delay: cfg.DrainDelay, Timeout: cfg.ShutdownTimeout})
	log.Info("stopped", "error", err)
	return err
}
