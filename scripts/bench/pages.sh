#!/usr/bin/env bash
# GET /v1/pages/{slug} (a seeded page, served from the in-process cache)
# against a bare net/http server returning the same bytes, and the 304
# revalidation path (If-None-Match) against the same bare server answering
# 304, all at 64 connections. Each round runs the four back to back and
# yields one ratio per path (API over bare, measured seconds apart), so
# load from other tenants of the machine hits both sides of a ratio alike;
# the report gives the median of the rounds' ratios.
source "$(dirname "$0")/lib.sh"
need_wrk
build_hpa
db=$(fresh_db hpa_bench_pages)
duration=${DURATION:-5s}
rounds=${ROUNDS:-7}
slug=${SLUG:-about-us}

start_hpa "$db" HPA_LOG_LEVEL=${HPA_LOG_LEVEL:-info} ${HPA_BENCH_ENV:-}
page="$hpa_url/v1/pages/$slug"
start_bare "$page"
etag=$(curl -sfI "$page" | awk -F': ' 'tolower($1)=="etag" {print $2}' | tr -d '\r')
bytes=$(curl -sf "$page" | wc -c)
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$page")" = 304 ] || { echo "no 304 from $page" >&2; exit 1; }
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$bare_url/")" = 304 ] || { echo "no 304 from bare" >&2; exit 1; }

for u in "$page" "$bare_url/"; do wrk -t1 -c64 -d2s "$u" >/dev/null; wrk -t1 -c64 -d2s -H "If-None-Match: $etag" "$u" >/dev/null; done # warm up
last() { awk -v n="$1" '$1==n {v=$2} END {print v}' "$bench_tmp/results"; }
for _ in $(seq 1 "$rounds"); do
  run_wrk bare "$bare_url/" -t1 -c64 -d"$duration"
  run_wrk page "$page" -t1 -c64 -d"$duration"
  run_wrk bare304 "$bare_url/" -t1 -c64 -d"$duration" -H "If-None-Match: $etag"
  run_wrk page304 "$page" -t1 -c64 -d"$duration" -H "If-None-Match: $etag"
  echo "ratio200 $(awk -v a="$(last page)" -v b="$(last bare)" 'BEGIN {print a/b}')" >>"$bench_tmp/results"
  echo "ratio304 $(awk -v a="$(last page304)" -v b="$(last bare304)" 'BEGIN {print a/b}')" >>"$bench_tmp/results"
done
ratio() { awk -v r="$(median "$1")" 'BEGIN {printf "%.2f", r}'; }
spread() { awk -v n="$1" '$1==n {print $2}' "$bench_tmp/results" | sort -g | awk '{a[NR]=$1} END {printf "%.2f–%.2f", a[1], a[NR]}'; }
cat <<OUT

GET /v1/pages/$slug ($bytes bytes) vs bare net/http, 64 connections, $rounds × $duration each (medians)
  bare net/http 200     $(printf '%10.0f' "$(median bare)") req/s   p99 $(median_p99 bare) ms
  GET /v1/pages 200     $(printf '%10.0f' "$(median page)") req/s   p99 $(median_p99 page) ms
  ratio                 $(ratio ratio200)   (rounds $(spread ratio200); target ≥ 0.50; p99 < 10 ms)
  bare net/http 304     $(printf '%10.0f' "$(median bare304)") req/s   p99 $(median_p99 bare304) ms
  GET /v1/pages 304     $(printf '%10.0f' "$(median page304)") req/s   p99 $(median_p99 page304) ms
  ratio                 $(ratio ratio304)   (rounds $(spread ratio304); target ≥ 0.70)
  peak RSS $(peak_rss_mb "$hpa_pid") MB
OUT
psql -X -q "${db%/*}/postgres?sslmode=disable" -c "DROP DATABASE hpa_bench_pages WITH (FORCE)" >/dev/null
