package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/harmedpatients/hpa/internal/app"
)

// cmdGenerateMembers bulk-loads active, consenting members for load tests
// and demos, sealed with the configured keys (so the server can mail them).
func cmdGenerateMembers(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("generate-members", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	count := fs.Int("count", 1000, "members to create")
	interests := fs.String("interests", "research-opportunities", "comma-separated interests every member has")
	prefix := fs.String("prefix", "", "distinguishes the addresses of one run (default: the time)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: dev generate-members: %v", errUsage, err)
	}
	if *count < 1 || *count > 10_000_000 {
		return fmt.Errorf("%w: dev generate-members needs --count from 1 to 10,000,000", errUsage)
	}
	if *prefix == "" {
		*prefix = time.Now().UTC().Format("20060102150405")
	}
	env, err := openEnv(ctx, getenv, io.Discard)
	if err != nil {
		return err
	}
	defer env.close()
	service, err := app.NewMembers(env.cfg, env.pool)
	if err != nil {
		return err
	}
	started := time.Now()
	if err := service.Generate(ctx, *prefix, *count, strings.Split(*interests, ","), nil); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "generated %d members (member-%s-N@example.org) in %s\n", *count, *prefix, time.Since(started).Round(time.Millisecond))
	return nil
}
