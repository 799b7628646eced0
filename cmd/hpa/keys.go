package main

import (
	"context"
	"fmt"
	"io"

	"github.com/harmedpatients/hpa/internal/app"
)

// cmdKeys maintains the keys that protect stored data: `keys rehash`
// moves every stored email hash to a new HPA_HASH_KEY.
func cmdKeys(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 1 || args[0] != "rehash" {
		return fmt.Errorf("%w: keys needs a subcommand: rehash", errUsage)
	}
	env, err := openEnv(ctx, getenv, io.Discard)
	if err != nil {
		return err
	}
	defer env.close()
	report, err := app.RehashEmails(ctx, env.cfg, env.pool)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "re-keyed email hashes: %d members, %d registrations, %d enquiries, %d donors\n",
		report.Members, report.Registrations, report.Enquiries, report.Donors)
	return nil
}
