// Command hpa is the HPA API service and its administration tool.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	tuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hpa:", err)
		os.Exit(1)
	}
}

// tuneGC trades a little memory for throughput unless GOGC or GOMEMLIMIT
// say otherwise: the API's live heap is a few MB, so Go's default (GC at
// 100% growth) collects dozens of times a second under load. At 300% with
// a 160 MiB soft limit, collections are rare and the heap stays bounded:
// under a flood of visit events the process stays below 200 MB resident
// (see docs/performance.md).
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(300)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(160 << 20)
	}
}
