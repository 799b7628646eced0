#!/usr/bin/env bash
# Visit statistics queries over a year of synthetic traffic (10 million
# page views by default, loaded with `hpa dev generate-visits`, i.e. COPY):
# summary, daily time series and top pages for 12mo, and realtime, each
# with wrk (-t1 -c4: a few dashboards and scripts at once), against a bare
# net/http server on the same machine as the floor. Prints p50/p95/p99 and
# the server's peak RSS. Then filtered queries, a property breakdown and a
# funnel (answered from visit rows) are timed one request at a time
# (FILTERED_RUNS each, default 20) and again, in the same run, counted
# from raw events (visit rows hidden: RAW_RUNS each, default 3, since each
# takes seconds; TODAY_RUNS for "30d"), with the unfiltered summary timed the same way as the
# reference. DAYS (default 365) sets the range generated; the queries ask
# for the last 30 days. Then drops the database (KEEP=1 keeps it; REUSE=1
# reuses a kept one; BENCH_DB, or DB_NAME, names it, for runs side by side;
# BENCH_SERVER puts it on another server than the dev one).
source "$(dirname "$0")/lib.sh"
need_wrk
export BENCH_LUA_DIR="$repo/scripts/bench/lua"
build_hpa
name=${BENCH_DB:-${DB_NAME:-hpa_bench_visits_query}}
pageviews=${PAGEVIEWS:-10000000}
days=${DAYS:-365}
duration=${DURATION:-10s}
server=$(bench_server)
db="$server/$name?sslmode=disable"
export HPA_VISITS_HOSTNAMES=www.example.org
if [ "${REUSE:-0}" = 1 ] && psql -X -qtA "$db" -c "SELECT 1 FROM visit_rollups_daily LIMIT 1" >/dev/null 2>&1; then
  echo "reusing $name"
else
  db=$(fresh_db "$name")
  HPA_DATABASE_URL="$db" "$bench_tmp/hpa" migrate up >/dev/null
  t0=$(date +%s)
  HPA_DATABASE_URL="$db" "$bench_tmp/hpa" dev generate-visits --pageviews "$pageviews" --days "$days" | tail -1
  echo "generated and rolled up in $(( $(date +%s) - t0 )) s"
fi
psql -X -qtA "$db" -c "SELECT 'raw events: ' || count(*) || ', daily rollup rows: ' || (SELECT count(*) FROM visit_rollups_daily) || ', visit rows: ' || (SELECT count(*) FROM visit_rows) || ' (' || pg_size_pretty(pg_total_relation_size('visit_rows') + pg_total_relation_size('visit_row_values')) || '), database ' || pg_size_pretty(pg_database_size(current_database())) FROM visit_events"

# Rollups hourly: today keeps the new events sent below uncompacted while measuring.
start_hpa "$db" HPA_LOG_LEVEL=${HPA_LOG_LEVEL:-info} HPA_VISITS_ROLLUP_INTERVAL=1h ${HPA_BENCH_ENV:-}
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

# Filtered queries, one request at a time: NAME|PATH|JSON, where RANGE
# stands for the date range: "30d" (the last 30 days, today included:
# today has new events, so it is counted from raw events) or the 30
# complete days before today (every day from visit rows).
filtered=(
  "summary|query|{\"metrics\":[\"visitors\",\"pageviews\"],\"date_range\":RANGE}"
  "country-by-page|query|{\"metrics\":[\"visitors\",\"visits\",\"bounce_rate\"],\"date_range\":RANGE,\"dimensions\":[\"country\"],\"filters\":[{\"dimension\":\"page\",\"operator\":\"is\",\"values\":[\"/donate\"]}]}"
  "daily-two-filters|query|{\"metrics\":[\"visitors\",\"pageviews\"],\"date_range\":RANGE,\"dimensions\":[\"time:day\"],\"filters\":[{\"dimension\":\"device\",\"operator\":\"is\",\"values\":[\"Mobile\"]},{\"dimension\":\"source\",\"operator\":\"contains\",\"values\":[\"goog\"]}]}"
  "pages-by-source|query|{\"metrics\":[\"visitors\",\"pageviews\"],\"date_range\":RANGE,\"dimensions\":[\"page\"],\"filters\":[{\"dimension\":\"source\",\"operator\":\"is\",\"values\":[\"Google\"]}]}"
  "prop-by-device|query|{\"metrics\":[\"visitors\",\"events\"],\"date_range\":RANGE,\"dimensions\":[\"event:props:amount\"],\"filters\":[{\"dimension\":\"device\",\"operator\":\"is_not\",\"values\":[\"Tablet\"]}]}"
  "funnel|funnel|{\"date_range\":RANGE,\"steps\":[{\"page\":\"/\"},{\"page\":\"/join\"},{\"event_name\":\"signup-started\"}],\"filters\":[{\"dimension\":\"device\",\"operator\":\"is\",\"values\":[\"Desktop\"]}]}"
)
complete="[\"$(date -u -d '30 days ago' +%F)\",\"$(date -u -d 'yesterday' +%F)\"]"
time_requests() { # LABEL RUNS RANGE: times each query RUNS times; appends "LABEL NAME p50 p95 failures" to results
  local label=$1 runs=$2 range=$3 entry name path body i ms failed
  for entry in "${filtered[@]}"; do
    IFS='|' read -r name path body <<<"$entry"
    body=${body//RANGE/$range}
    : >"$bench_tmp/times"; failed=0
    for i in $(seq 1 "$runs"); do
      ms=$(curl -s -o "$bench_tmp/answer" -w '%{http_code} %{time_total}' -X POST "$hpa_url/v1/stats/$path" \
        -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$body")
      if [ "${ms%% *}" != 200 ]; then
        failed=$((failed + 1))
        [ "$failed" = 1 ] && echo "$label $name: ${ms%% *} $(head -c 300 "$bench_tmp/answer")" >&2
      fi
      awk '{printf "%.1f\n", $2 * 1000}' <<<"$ms" >>"$bench_tmp/times"
    done
    sort -g "$bench_tmp/times" | awk -v l="$label" -v n="$name" -v f="$failed" '{a[NR]=$1} END {
      p95 = a[int(NR * 0.95 + 0.999)]; if (p95 == "") p95 = a[NR]
      print l, n, a[int((NR + 1) / 2)], p95, f }' | tee -a "$bench_tmp/filtered"
  done
}
psql -X -q "$db" -c "VACUUM ANALYZE visit_rows, visit_row_values" >/dev/null
time_requests rows "${FILTERED_RUNS:-20}" "$complete"
time_requests today "${TODAY_RUNS:-${FILTERED_RUNS:-20}}" '"30d"'
# The same queries from raw events: with no day listed as compacted, every
# day is counted from its events (as before visit rows existed). RAW_RUNS=0
# skips them (an A/B run of two builds that share the raw path).
if [ "${RAW_RUNS:-3}" != 0 ]; then
  psql -X -q "$db" -c "CREATE TABLE bench_compacted AS SELECT * FROM visit_rows_days" -c "DELETE FROM visit_rows_days" >/dev/null
  time_requests raw "${RAW_RUNS:-3}" "$complete"
  psql -X -q "$db" -c "INSERT INTO visit_rows_days SELECT * FROM bench_compacted ON CONFLICT DO NOTHING" -c "DROP TABLE bench_compacted" >/dev/null
fi
echo
echo "Filtered queries, one request at a time: the 30 complete days before today from visit rows"
echo "(${FILTERED_RUNS:-20} runs each) and from raw events (${RAW_RUNS:-3} runs each), and \"30d\" with today's"
echo "new events counted from raw events; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '  %-18s %11s %11s %11s %11s %11s %11s %9s\n' "" "rows p50" "rows p95" "+today p50" "+today p95" "raw p50" "raw p95" "raw/rows"
for entry in "${filtered[@]}"; do
  n=${entry%%|*}
  read -r _ _ rp50 rp95 rf < <(awk -v n="$n" '$1=="rows" && $2==n' "$bench_tmp/filtered") || true
  read -r _ _ tp50 tp95 tf < <(awk -v n="$n" '$1=="today" && $2==n' "$bench_tmp/filtered") || true
  read -r _ _ wp50 wp95 wf < <(awk -v n="$n" '$1=="raw" && $2==n' "$bench_tmp/filtered") || true # none when skipped
  printf '  %-18s %11s %11s %11s %11s %11s %11s %9s%s\n' "$n" "$rp50" "$rp95" "$tp50" "$tp95" "${wp50:--}" "${wp95:--}" \
    "$(awk -v a="$wp50" -v b="$rp50" 'BEGIN {if (a == "" || b == 0) print "-"; else printf "%.1f", a / b}')" "$( [ "$rf$tf${wf:-0}" = 000 ] || echo "  (failed: $rf, $tf, $wf)")"
done
if [ "${KEEP:-0}" != 1 ]; then
  kill "$hpa_pid" 2>/dev/null; wait "$hpa_pid" 2>/dev/null || true
  psql -X -q "$server/postgres?sslmode=disable" -c "DROP DATABASE $name WITH (FORCE)" >/dev/null
fi
