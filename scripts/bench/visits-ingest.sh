#!/usr/bin/env bash
# Visit ingest: single page-view beacons (wrk, 64 connections, random
# visitors) against a bare net/http server answering the same POSTs, then
# 500-event batches; rounds alternate. Afterwards every acknowledged event
# must be in the database, exactly once. Prints events/s, p99, errors and
# the server's peak RSS.
source "$(dirname "$0")/lib.sh"
need_wrk
export BENCH_LUA_DIR="$repo/scripts/bench/lua"
build_hpa
db=$(fresh_db hpa_bench_visits_ingest)
duration=${DURATION:-10s}
rounds=${ROUNDS:-3}
psql_db() { psql -X -qtA "$db" -c "$1"; }

# The flood limit is per visitor; the batch bench reuses 100,000 visitors
# every second, more than a person could, so it is lifted here.
start_hpa "$db" HPA_LOG_LEVEL=${HPA_LOG_LEVEL:-info} HPA_VISITS_HOSTNAMES=www.example.org HPA_TRUSTED_PROXIES=127.0.0.1 \
  HPA_VISITS_VISITOR_RATE_LIMIT=1000000 ${HPA_BENCH_ENV:-}
start_bare "$hpa_url/healthz"
# BENCH_SQL runs on the database once the server has migrated it, for
# experiments (dropping an index, say).
[ -z "${BENCH_SQL:-}" ] || psql_db "$BENCH_SQL" >/dev/null

bench() { # NAME URL LUA CONNECTIONS
  local out; out=$(wrk -t1 -c"$4" -d"$duration" -s "$BENCH_LUA_DIR/$3" "$2")
  local line; line=$(grep '^BENCH' <<<"$out")
  echo "$1 $line" | tee -a "$bench_tmp/results"
}
field() { awk -v n="$1" -v f="$2" '$1==n { for (i=2;i<=NF;i++) { split($i,kv,"="); if (kv[1]==f) print kv[2] } }' "$bench_tmp/results"; }
med() { field "$1" "$2" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
sum() { field "$1" "$2" | awk '{s+=$1} END {print s+0}'; }

wrk -t1 -c64 -d2s -s "$BENCH_LUA_DIR/post.lua" "$bare_url/" >/dev/null
for _ in $(seq 1 "$rounds"); do
  bench bare "$bare_url/" post.lua 64
  bench beacon "$hpa_url" beacon.lua 64
done
# Server-side senders: a few connections, each posting 500 events at a time.
for _ in $(seq 1 "$rounds"); do
  bench batch "$hpa_url" batch.lua "${BATCH_CONNS:-4}"
done
peak=$(peak_rss_mb "$hpa_pid")

# wrk counts the responses it read; requests still in flight when a run
# ends were accepted too, so the server's own count is the reference.
acked=$(( $(sum beacon requests) - $(sum beacon non2xx) + 500 * ($(sum batch requests) - $(sum batch non2xx)) ))
accepted=$(curl -sf "$hpa_url/metrics" | awk '$1=="hpa_visits_events_accepted_total" {printf "%d", $2}')
for _ in $(seq 1 600); do
  written=$(psql_db "SELECT count(*) FROM visit_events")
  [ "$written" -ge "$accepted" ] && break
  sleep 0.1
done
sleep 1; written=$(psql_db "SELECT count(*) FROM visit_events")
errors=$(( $(sum beacon non2xx) + $(sum beacon socket_errors) + $(sum batch non2xx) + $(sum batch socket_errors) ))
bare=$(med bare rps); beacon=$(med beacon rps); batch=$(med batch rps)
cat <<OUT

Visit ingest, wrk -t1 (beacons -c64, batches -c${BATCH_CONNS:-4}), $rounds × $duration each (medians); load average $(cut -d' ' -f1-3 /proc/loadavg)
  bare net/http POST       $(printf '%10.0f' "$bare") req/s      p99 $(med bare p99) ms
  POST /v1/events beacon   $(printf '%10.0f' "$beacon") events/s   p99 $(med beacon p99) ms   (target ≥ 20,000)
  ratio beacon/bare        $(awk -v a="$beacon" -v b="$bare" 'BEGIN {printf "%.2f", a/b}')
  POST /v1/events/batch    $(printf '%10.0f' "$(awk -v r="$batch" 'BEGIN {print r*500}')") events/s   p99 $(med batch p99) ms per 500   (target ≥ 100,000)
  errors (non-2xx + socket) $errors (target 0)
  accepted (server) $accepted, written $written (must be equal; wrk saw $acked of them acknowledged)
  server peak RSS $peak MB (target < 200)
OUT
psql -X -q "${db%/*}/postgres?sslmode=disable" -c "DROP DATABASE hpa_bench_visits_ingest WITH (FORCE)" >/dev/null 2>&1 || true
