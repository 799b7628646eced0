#!/usr/bin/env bash
# run.sh short|full: run the reliability suite (scripts/faults) and leave
# nothing behind, even when it fails or is interrupted.
#
#   short   each fault once, in well under two minutes (CI: make faults-short)
#   full    each fault twice, longer outages (make faults); with
#           HPA_FAULTS_REPORT=file the results table is written there
#
# Everything the suite starts lives under one temporary directory: the
# throwaway PostgreSQL cluster (pgtest.StartCluster), and the hpa and
# stripe-mock processes, which record their pids there. On exit this
# script stops whatever of it is still running, by those pids, and removes
# the directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=${1:?usage: scripts/faults/run.sh short|full}
case "$mode" in
  short) timeout=5m ;;
  full) timeout=40m ;;
  *) echo "usage: scripts/faults/run.sh short|full" >&2; exit 2 ;;
esac

tmp=$(mktemp -d /tmp/hpa-faults-XXXXXX)
chmod 755 "$tmp" # the cluster's owner (postgres) must reach its directory
cleanup() {
  local f pid
  while IFS= read -r f; do
    pid=$(cat "$f" 2>/dev/null) && kill -KILL "$pid" 2>/dev/null || true
  done < <(find "$tmp" -name '*.pid' -not -name postmaster.pid 2>/dev/null)
  while IFS= read -r f; do # SIGQUIT: PostgreSQL's immediate shutdown
    pid=$(head -n1 "$f" 2>/dev/null) && kill -QUIT "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done < <(find "$tmp" -name postmaster.pid 2>/dev/null)
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export HPA_FAULTS=$mode
TMPDIR=$tmp go test -count=1 -timeout "$timeout" -run '^TestFaults$' -v ./scripts/faults
