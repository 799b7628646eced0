#!/usr/bin/env bash
# GET /v1/site against a bare net/http server returning the same bytes, at
# 64 connections, alternating runs so machine noise hits both alike. Also
# server RSS idle and under load, and start-up time to ready.
source "$(dirname "$0")/lib.sh"
need_wrk
build_hpa
db=$(fresh_db hpa_bench_site)
duration=${DURATION:-10s}
rounds=${ROUNDS:-3}

# First start applies the migrations; the second measures start-up to ready.
start_hpa "$db"; kill "$hpa_pid"; wait "$hpa_pid" 2>/dev/null || true
t0=$(date +%s%N); start_hpa "$db" HPA_LOG_LEVEL=${HPA_LOG_LEVEL:-info} ${HPA_BENCH_ENV:-}; t1=$(date +%s%N)
startup_ms=$(( (t1 - t0) / 1000000 ))
sleep 1; idle_rss=$(rss_mb "$hpa_pid")
start_bare "$hpa_url/v1/site"

wrk -t1 -c64 -d2s "$hpa_url/v1/site" >/dev/null; wrk -t1 -c64 -d2s "$bare_url/" >/dev/null # warm up
sample_rss "$hpa_pid"
for _ in $(seq 1 "$rounds"); do
  run_wrk bare "$bare_url/" -t1 -c64 -d"$duration"
  run_wrk site "$hpa_url/v1/site" -t1 -c64 -d"$duration"
done
load_rss=$(stop_rss)
bare=$(median bare); site=$(median site)
cat <<OUT

GET /v1/site vs bare net/http, 64 connections, $rounds × $duration each (medians)
  bare net/http   $(printf '%10.0f' "$bare") req/s   p99 $(median_p99 bare) ms
  GET /v1/site    $(printf '%10.0f' "$site") req/s   p99 $(median_p99 site) ms
  ratio           $(awk -v a="$site" -v b="$bare" 'BEGIN {printf "%.2f", a/b}')   (target ≥ 0.60; p99 < 10 ms)
  RSS idle $idle_rss MB, peak under load $load_rss MB (targets < 40 / < 100)
  start-up to ready (migrations current): $startup_ms ms (target < 1000, includes process exec and polling)
OUT
