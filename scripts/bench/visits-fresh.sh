#!/usr/bin/env bash
# Freshness of the visit reports under load: batches of 500 page views
# posted at RATE events/s (default 50,000) for DURATION (30 s), random
# visitors from a pool of VISITORS (500,000), while the day's summary is
# polled every 100 ms (scripts/bench/freshness). Prints the lag from each
# batch's 202 to the first summary that includes it, and how long after
# the last 202 every event showed. Runs today's code (BASE, default main,
# built from `git archive`) and this tree alternately, ROUNDS (1) each,
# each on a fresh database with the default settings.
source "$(dirname "$0")/lib.sh"
build_hpa
mv "$bench_tmp/hpa" "$bench_tmp/hpa-new"
base=${BASE:-main}
mkdir "$bench_tmp/base"
git archive "$base" | tar -x -C "$bench_tmp/base"
(cd "$bench_tmp/base" && go build -o "$bench_tmp/hpa-base" ./cmd/hpa)
go build -o "$bench_tmp/freshness" ./scripts/bench/freshness

run() { # LABEL BINARY
  ln -sf "$2" "$bench_tmp/hpa"
  local db; db=$(fresh_db hpa_bench_visits_fresh)
  start_hpa "$db" HPA_LOG_LEVEL=${HPA_LOG_LEVEL:-warn} HPA_VISITS_HOSTNAMES=www.example.org HPA_TRUSTED_PROXIES=127.0.0.1 \
    HPA_VISITS_VISITOR_RATE_LIMIT=1000000 ${HPA_BENCH_ENV:-}
  local email="bench-$RANDOM@example.org" password="bench password $RANDOM$RANDOM"
  HPA_DATABASE_URL="$db" "$bench_tmp/hpa" admin create --email "$email" --role analyst --password-stdin <<<"$password" >/dev/null
  local token; token=$(curl -sf "$hpa_url/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$password\"}" | jq -r .access_token)
  "$bench_tmp/freshness" -url "$hpa_url" -token "$token" -label "$1" -rate "${RATE:-50000}" -duration "${DURATION:-30s}" \
    -visitors "${VISITORS:-500000}" | tee -a "$bench_tmp/results"
  echo "  load average $(cut -d' ' -f1-3 /proc/loadavg)"
  kill "$hpa_pid"; wait "$hpa_pid" 2>/dev/null || true
  psql -X -q "${db%/*}/postgres?sslmode=disable" -c "DROP DATABASE hpa_bench_visits_fresh WITH (FORCE)" >/dev/null 2>&1 || true
}
for _ in $(seq 1 "${ROUNDS:-1}"); do
  run "today ($base $(git rev-parse --short "$base"))" "$bench_tmp/hpa-base"
  run "this tree ($(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo +))" "$bench_tmp/hpa-new"
done
