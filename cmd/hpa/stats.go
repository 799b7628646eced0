package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/visits"
)

// cmdStats holds the statistics tools: for now, importing history.
func cmdStats(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "import" {
		return fmt.Errorf("%w: stats needs a tool: import", errUsage)
	}
	fs := flag.NewFlagSet("stats import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	format := fs.String("format", "", "goatcounter, plausible or csv")
	dryRun := fs.Bool("dry-run", false, "check the file and report, importing nothing")
	addToCounter := fs.Bool("add-to-counter", false, "the file's visits are missing from the counter's historic baseline")
	// Flags may come before or after the file.
	var files []string
	for rest := args[1:]; ; {
		if err := fs.Parse(rest); err != nil {
			return fmt.Errorf("%w: stats import: %v", errUsage, err)
		}
		if fs.NArg() == 0 {
			break
		}
		files, rest = append(files, fs.Arg(0)), fs.Args()[1:]
	}
	if len(files) != 1 || *format == "" {
		return fmt.Errorf("%w: stats import needs --format %s and one FILE", errUsage, strings.Join(visits.ImportFormats, "|"))
	}
	f, err := os.Open(files[0])
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	env, err := openEnv(ctx, getenv, io.Discard)
	if err != nil {
		return err
	}
	defer env.close()
	service := visits.NewService(env.pool, visits.Deps{Logger: env.logger}, env.cfg.Visits.Settings, time.Now)
	ctx = audit.WithActor(ctx, audit.Actor{Type: audit.ActorSystem}) // an operator at the server, recorded as the system
	imp, err := service.ImportVisits(ctx, visits.ImportOptions{Format: *format, DryRun: *dryRun, AddToCounter: *addToCounter, Size: info.Size()}, f)
	if imp != nil {
		printImport(stdout, imp)
	}
	var bad *hpa.Error
	if errors.As(err, &bad) && bad.Reason == visits.ReasonImportRejected {
		return fmt.Errorf("%s", bad.Message)
	}
	return err
}

// printImport says what an import did, in a line or two per fact.
func printImport(w io.Writer, imp *visits.Import) {
	id := "dry run"
	if !imp.DryRun {
		id = imp.ID.String()
	}
	fmt.Fprintf(w, "%s import (%s): %s\n", imp.Format, id, imp.Status)
	fmt.Fprintf(w, "rows: %d read, %d imported, %d skipped, %d rejected; %d bytes, sha256 %s\n",
		imp.RowsRead, imp.RowsImported, imp.RowsSkipped, imp.RowsRejected, imp.BytesRead, hex.EncodeToString(imp.SHA256))
	if imp.FirstDay != nil && imp.LastDay != nil {
		fmt.Fprintf(w, "totals: %d visits, %d page views from %s to %s\n", imp.Visits, imp.Pageviews,
			imp.FirstDay.Format(time.DateOnly), imp.LastDay.Format(time.DateOnly))
	}
	if imp.DuplicateOf != nil {
		fmt.Fprintf(w, "already imported as %s: nothing imported again\n", imp.DuplicateOf)
	}
	for _, p := range imp.Problems {
		where := fmt.Sprintf("line %d", p.Line)
		if p.File != "" {
			where = p.File + " " + where
		}
		fmt.Fprintf(w, "  %s: %s\n", where, p.Reason)
	}
}
