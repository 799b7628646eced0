#!/usr/bin/env bash
# Visit statistics queries over a year of synthetic traffic (10 million
# page views by default, loaded with `hpa dev generate-visits`, i.e. COPY):
# summary, daily time series and top pages for 12mo, and realtime, each
# with wrk (-t1 -c4: a few dashboards and scripts at once), against a bare
# net/http server on the same machine as the floor. Prints p50/p95/p99 and
# the server's peak RSS, then drops the database (KEEP=1 keeps it; REUSE=1
# reuses a kept one; DB_NAME names it, for runs side by side).
source "$(dirname "$0")/lib.sh"
need_wrk
export BENCH_LUA_DIR="$repo/scripts/bench/lua"
build_hpa
name=${DB_NAME:-hpa_bench_visits_query}
pageviews=${PAGEVIEWS:-10000000}
duration=${DURATION:-10s}
server=$(scripts/dev-postgres.sh url postgres); server=${server%/postgres*}
db="$server/$name?sslmode=disable"
export HPA_VISITS_HOSTNAMES=www.example.org
if [ "${REUSE:-0}" = 1 ] && psql -X -qtA "$db" -c "SELECT 1 FROM visit_rollups_daily LIMIT 1" >/dev/null 2>&1; then
  echo "reusing $name"
else
  db=$(fresh_db "$name")
  HPA_DATABASE_URL="$db" "$bench_tmp/hpa" migrate up >/dev/null
  t0=$(date +%s)
  HPA_DATABASE_URL="$db" "$bench_tmp/hpa" dev generate-visits --pageviews "$pageviews" --days 365 | tail -1
  echo "generated and rolled up in $(( $(date +%s) - t0 )) s"
fi
psql -X -qtA "$db" -c "SELECT 'raw events: ' || count(*) || ', daily rollup rows: ' || (SELECT count(*) FROM visit_rollups_daily) || ', database ' || pg_size_pretty(pg_database_size(current_database())) FROM visit_events"

start_hpa "$db" HPA_LOG_LEVEL=${HPA_LOG_LEVEL:-info} ${HPA_BENCH_ENV:-}
email="bench-$RANDOM@example.org"; password="bench password $RANDOM$RANDOM"
HPA_DATABASE_URL="$db" "$bench_tmp/hpa" admin create --email "$email" --role analyst --password-stdin <<<"$password" >/dev/null
token=$(curl -sf "$hpa_url/v1/auth/login" -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"$password\"}" | jq -r .access_token)
start_bare "$hpa_url/healthz"

bench() { # NAME URL
  local out; out=$(wrk -t1 -c"${CONNS:-4}" -d"$duration" -s "$BENCH_LUA_DIR/get.lua" -H "Authorization: Bearer $token" "$2")
  echo "$1 $(grep '^BENCH' <<<"$out")" | tee -a "$bench_tmp/results"
}
# Some visitors right now, as the site would have: 500 events just sent.
events=$(for i in $(seq 1 500); do printf '{"url":"https://www.example.org/page-%d","ip":"10.9.%d.%d","user_agent":"Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"},' $((i % 40)) $((i / 250)) $((i % 250 + 1)); done)
curl -sf "$hpa_url/v1/events/batch" -H 'Content-Type: application/json' -d "{\"events\":[${events%,}]}" >/dev/null
sleep 2 # written within a second
for path in "/v1/stats/summary?period=12mo" "/v1/stats/timeseries?period=12mo&interval=day" "/v1/stats/breakdown/page?period=12mo&limit=10" "/v1/stats/realtime"; do
  curl -sf "$hpa_url$path" -H "Authorization: Bearer $token" >/dev/null || { echo "$path failed" >&2; exit 1; }
done
bench bare "$bare_url/"
bench summary "$hpa_url/v1/stats/summary?period=12mo"
bench timeseries "$hpa_url/v1/stats/timeseries?period=12mo&interval=day"
bench top-pages "$hpa_url/v1/stats/breakdown/page?period=12mo&limit=10"
bench realtime "$hpa_url/v1/stats/realtime"
peak=$(peak_rss_mb "$hpa_pid")
val() { awk -v n="$1" -v f="$2" '$1==n { for (i=2;i<=NF;i++) { split($i,kv,"="); if (kv[1]==f) print kv[2] } }' "$bench_tmp/results"; }
echo
echo "Stats queries over $(psql -X -qtA "$db" -c 'SELECT count(*) FROM visit_events') raw events, wrk -t1 -c${CONNS:-4} -d$duration each"
printf '  %-12s %10s %9s %9s %9s   %s\n' "" "req/s" "p50 ms" "p95 ms" "p99 ms" "target"
for n in bare summary timeseries top-pages realtime; do
  target="p95 < 50 ms"; [ "$n" = realtime ] && target="p95 < 20 ms"; [ "$n" = bare ] && target="(floor: bare net/http)"
  printf '  %-12s %10.0f %9s %9s %9s   %s\n' "$n" "$(val $n rps)" "$(val $n p50)" "$(val $n p95)" "$(val $n p99)" "$target"
done
echo "  server peak RSS $peak MB (target < 200)"
if [ "${KEEP:-0}" != 1 ]; then
  kill "$hpa_pid" 2>/dev/null; wait "$hpa_pid" 2>/dev/null || true
  psql -X -q "$server/postgres?sslmode=disable" -c "DROP DATABASE $name WITH (FORCE)" >/dev/null
fi
