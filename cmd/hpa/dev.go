package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/harmedpatients/hpa/internal/visits"
)

// cmdDev holds tools for development and benchmarks.
func cmdDev(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "generate-members" {
		return cmdGenerateMembers(ctx, args[1:], getenv, stdout)
	}
	if len(args) == 0 || args[0] != "generate-visits" {
		return fmt.Errorf("%w: dev needs a tool: generate-visits or generate-members", errUsage)
	}
	fs := flag.NewFlagSet("generate-visits", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	pageviews := fs.Int("pageviews", 10_000, "page views to create")
	days := fs.Int("days", 30, "days of traffic, ending today")
	hostname := fs.String("hostname", "", "the site's hostname (default the first of HPA_VISITS_HOSTNAMES)")
	seed := fs.Uint64("seed", 1, "random seed, for reproducible traffic")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%w: dev generate-visits: %v", errUsage, err)
	}
	if *pageviews < 1 || *days < 1 || *days > 3660 {
		return fmt.Errorf("%w: dev generate-visits needs --pageviews ≥ 1 and --days from 1 to 3660", errUsage)
	}
	env, err := openEnv(ctx, getenv, io.Discard)
	if err != nil {
		return err
	}
	defer env.close()
	host := *hostname
	if host == "" && len(env.cfg.Visits.Hostnames) > 0 {
		host = env.cfg.Visits.Hostnames[0]
	}
	service := visits.NewService(env.pool, visits.Deps{Logger: env.logger}, env.cfg.Visits.Settings, time.Now)
	report, err := service.Generate(ctx, visits.GenerateOptions{Pageviews: *pageviews, Days: *days, Hostname: host, Seed: *seed}, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "generated %d page views (%d events, %d visits) over %d days for %s; rolled up %d days and %d months in %s\n",
		report.Pageviews, report.Events, report.Sessions, report.Days, host, report.Rollup.Days, report.Rollup.Months, report.Took.Round(time.Millisecond))
	return nil
}
