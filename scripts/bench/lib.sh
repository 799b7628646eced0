# Shared helpers for the benchmark scripts (sourced, not run).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
bench_tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$bench_tmp"; }
trap cleanup EXIT

need_wrk() {
  command -v wrk >/dev/null 2>&1 || { echo "installing wrk" >&2; apt-get install -y -qq wrk >/dev/null; }
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# bench_server: the server benchmarks create their databases on, as a URL
# without a database: BENCH_SERVER (e.g. a throwaway cluster of your own,
# postgres://postgres@127.0.0.1:PORT), else the dev server.
bench_server() {
  if [ -n "${BENCH_SERVER:-}" ]; then echo "${BENCH_SERVER%/}"; return; fi
  local server; server=$(scripts/dev-postgres.sh url postgres); echo "${server%/postgres*}"
}

# fresh_db NAME: a new empty database on bench_server; prints its URL.
fresh_db() {
  local server
  server=$(bench_server)
  psql -X -q "$server/postgres?sslmode=disable" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null
  echo "$server/$1?sslmode=disable"
}

# build_hpa builds this tree's hpa, or copies HPA_BIN (another build, for a
# before/after run with the same script), and the bare baseline server.
build_hpa() {
  if [ -n "${HPA_BIN:-}" ]; then cp "$HPA_BIN" "$bench_tmp/hpa"; else go build -o "$bench_tmp/hpa" ./cmd/hpa; fi
  go build -o "$bench_tmp/bare" ./scripts/bench/bare
}

# start_hpa DB_URL [VAR=VALUE...]: start the server, wait until ready, set hpa_pid and hpa_url.
start_hpa() {
  local db=$1; shift
  local port; port=$(free_port)
  env HPA_DATABASE_URL="$db" HPA_HTTP_ADDR="127.0.0.1:$port" HPA_RATE_LIMIT=10000000 "$@" \
    "$bench_tmp/hpa" serve >"$bench_tmp/hpa-$port.log" 2>&1 &
  hpa_pid=$!; pids+=("$hpa_pid")
  hpa_url="http://127.0.0.1:$port"
  for _ in $(seq 1 300); do curl -sf "$hpa_url/readyz" >/dev/null && return 0; sleep 0.05; done
  echo "hpa did not become ready:" >&2; cat "$bench_tmp/hpa-$port.log" >&2; exit 1
}

start_bare() { # URL to copy
  "$bench_tmp/bare" -from "$1" >"$bench_tmp/bare.addr" 2>"$bench_tmp/bare.log" &
  pids+=("$!"); bare_pid=$!
  for _ in $(seq 1 100); do [ -s "$bench_tmp/bare.addr" ] && break; sleep 0.05; done
  bare_url="http://$(cat "$bench_tmp/bare.addr")"
}

# sample_rss PID: record the highest RSS seen from now on (VmHWM also
# counts start-up, which is not what "under load" means); stop_rss prints it.
sample_rss() {
  ( peak=0; while kill -0 "$1" 2>/dev/null; do
      v=$(awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0)
      [ "${v:-0}" -gt "$peak" ] && { peak=$v; echo "$peak" >"$bench_tmp/rss.peak"; }
      sleep 0.2
    done ) &
  rss_sampler=$!
}
stop_rss() { kill "$rss_sampler" 2>/dev/null || true; awk '{printf "%.1f", $1/1024}' "$bench_tmp/rss.peak"; }

rss_mb() { awk '/^VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
peak_rss_mb() { awk '/^VmHWM/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }

# run_wrk NAME URL [wrk args...]: prints "NAME rps p99ms" and appends to $bench_tmp/results.
run_wrk() {
  local name=$1 url=$2; shift 2
  local out; out=$(wrk --latency "$@" "$url")
  local rps p99 errors
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub("us","",v); v=v/1000} else if (v ~ /ms$/) {sub("ms","",v)} else if (v ~ /s$/) {sub("s","",v); v=v*1000}; print v}' <<<"$out")
  errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out")
  echo "$name $rps $p99" | tee -a "$bench_tmp/results"
  [ -z "$errors" ] || echo "  $name: $errors" >&2
}

# median NAME: median requests/s of the runs recorded under NAME.
median() { awk -v n="$1" '$1==n {print $2}' "$bench_tmp/results" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
median_p99() { awk -v n="$1" '$1==n {print $3}' "$bench_tmp/results" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
