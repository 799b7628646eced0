// Package faults is HPA's reliability suite: it runs the real service
// binary against a throwaway PostgreSQL cluster of its own, drives
// concurrent writes with unique IDs on every path whose loss would matter,
// injects faults (PostgreSQL restarted fast and immediately, PostgreSQL
// that stops answering, SIGTERM and SIGKILL of the service) and afterwards
// checks from the database that nothing acknowledged was lost and nothing
// was written twice.
//
// The suite is a Go test that runs only when HPA_FAULTS is set: `make
// faults-short` (HPA_FAULTS=short, in CI) or `make faults` (HPA_FAULTS=full,
// whose report docs/reliability.md records). scripts/faults/run.sh wraps it
// so that no process or cluster outlives a run, even one that is killed.
package faults
