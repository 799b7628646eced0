package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/harmedpatients/hpa/api"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

const usage = `hpa: the Harmed Patients Alliance API

Usage:
  hpa serve [--no-migrate] [--no-seed]   run the HTTP API (migrates and seeds first)
  hpa migrate up|down|status             manage the database schema
  hpa seed                               load the charity's seed content (idempotent)
  hpa admin create --email E [--name N] [--role R]... [--password-stdin]
                                         create a staff account (default role admin);
                                         the password is generated and printed once
                                         unless read from stdin
  hpa keys rehash                        after rotating HPA_HASH_KEY (the old key in
                                         HPA_HASH_KEYS_RETIRED), re-key every stored
                                         email hash; run with every instance stopped
  hpa openapi [-o FILE]                  write the OpenAPI contract (no database needed)
  hpa dev generate-visits [--pageviews N] [--days D] [--hostname H] [--seed S]
  hpa dev generate-members --count N [--interests a,b] [--prefix P]
                                         load consenting members (for load tests)
                                         load synthetic visit statistics (COPY), for
                                         benchmarks and demonstrations
  hpa stats import --format goatcounter|plausible|csv FILE [--dry-run] [--add-to-counter]
                                         import visit history from another tool's export
  hpa version                            print the version

Configuration comes from HPA_* environment variables; see README.md.
`

// errUsage marks a mistake in the command line itself.
var errUsage = errors.New("usage")

// run is the whole program, with its environment passed in so tests can
// drive every subcommand in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: no command given", errUsage)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return cmdServe(ctx, rest, getenv, stdout)
	case "migrate":
		return cmdMigrate(ctx, rest, getenv, stdout)
	case "seed":
		return cmdSeed(ctx, rest, getenv, stdout)
	case "admin":
		return cmdAdmin(ctx, rest, getenv, stdin, stdout)
	case "keys":
		return cmdKeys(ctx, rest, getenv, stdout)
	case "openapi":
		return cmdOpenAPI(rest, stdout)
	case "dev":
		return cmdDev(ctx, rest, getenv, stdout)
	case "stats":
		return cmdStats(ctx, rest, getenv, stdout)
	case "version":
		fmt.Fprintln(stdout, "hpa", buildVersion(), "contract", api.ContractVersion)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("%w: unknown command %q", errUsage, cmd)
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}

func cmdOpenAPI(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("openapi", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("o", "", "write to this file instead of stdout")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: openapi: %v", errUsage, err)
	}
	spec, err := api.New(api.Options{}, api.Services{}).OpenAPI().YAML()
	if err != nil {
		return fmt.Errorf("render OpenAPI: %w", err)
	}
	if *out == "" {
		_, err = stdout.Write(spec)
		return err
	}
	if err := os.WriteFile(*out, spec, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	return nil
}

func cmdMigrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	actions := map[string]func(*env) error{
		"up": func(e *env) error {
			n, err := e.migrator.Up(ctx)
			if err == nil {
				fmt.Fprintf(stdout, "applied %d migration(s)\n", n)
			}
			return err
		},
		"down": func(e *env) error {
			err := e.migrator.Down(ctx)
			if err == nil {
				fmt.Fprintln(stdout, "rolled back one migration")
			}
			return err
		},
		"status": func(e *env) error { return e.migrator.WriteStatus(ctx, stdout) },
	}
	if len(args) != 1 || actions[args[0]] == nil {
		return fmt.Errorf("%w: migrate needs one of up, down, status, not %q", errUsage, strings.Join(args, " "))
	}
	e, err := openEnv(ctx, getenv, io.Discard)
	if err != nil {
		return err
	}
	defer e.close()
	return actions[args[0]](e)
}

func cmdSeed(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 0 {
		return fmt.Errorf("%w: seed takes no arguments", errUsage)
	}
	env, err := openEnv(ctx, getenv, io.Discard)
	if err != nil {
		return err
	}
	defer env.close()
	report, err := env.seed(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded: %s\n", report)
	return nil
}
