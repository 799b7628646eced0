#!/usr/bin/env bash
# Runs every benchmark; see docs/performance.md for what each measures.
set -euo pipefail
dir=$(dirname "$0")
for b in "$dir"/*.sh; do
  case "$(basename "$b")" in run.sh|lib.sh) continue ;; esac
  echo "== $(basename "$b")"
  "$b"
done
