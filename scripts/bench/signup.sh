#!/usr/bin/env bash
# Sustained signups at 32 connections against GET /healthz (the same server,
# the cheapest route) as the in-run baseline; then waits for the signup
# jobs and checks that every accepted signup is in the database with its
# confirmation email queued.
source "$(dirname "$0")/lib.sh"
need_wrk
build_hpa
db=$(fresh_db hpa_bench_signup)
duration=${DURATION:-30s}
export CONSENT_VERSION=$(go run ./cmd/hpa version >/dev/null; grep -o 'Version: "[0-9-]*"' internal/members/consent.go | head -1 | cut -d'"' -f2)
start_hpa "$db" HPA_LOG_LEVEL=warn HPA_SIGNUP_RATE_LIMIT=10000000 HPA_MAIL_TRANSPORT=log HPA_DB_MAX_CONNS=${DB_CONNS:-16}

# The request path only queues each signup; a members.signup job inserts
# the member and queues the email. wait_signups waits for those jobs (up to
# five minutes), leaving how many still wait in $waiting.
wait_signups() {
  for _ in $(seq 1 600); do
    waiting=$(psql -X -tA "$db" -c "SELECT count(*) FROM river_job WHERE kind = 'members.signup' AND state NOT IN ('completed', 'discarded', 'cancelled')")
    [ "$waiting" -eq 0 ] && return
    sleep 0.5
  done
}

wrk -t1 -c32 -d3s -s scripts/bench/signup.lua "$hpa_url" >/dev/null # warm up
wait_signups
psql -X -q "$db" -c "TRUNCATE member_email_throttle" >/dev/null
before=$(psql -X -tA "$db" -c "SELECT count(*) FROM members")
run_wrk healthz "$hpa_url/healthz" -t1 -c32 -d10s
out=$(wrk --latency -t1 -c32 -d"$duration" -s scripts/bench/signup.lua "$hpa_url")
echo "$out" | tail -12
rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
total=$(awk '/requests in/ {print $1}' <<<"$out")
non2xx=$(awk '/Non-2xx/ {print $4}' <<<"$out"); non2xx=${non2xx:-0}
p99=$(awk '$1=="99%" {print $2}' <<<"$out")
accepted=$((total - non2xx))
drain_start=$(date +%s.%N)
wait_signups
drained=$(awk -v a="$drain_start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b-a}')
after=$(psql -X -tA "$db" -c "SELECT count(*) FROM members")
jobs=$(psql -X -tA "$db" -c "SELECT count(*) FROM river_job WHERE kind = 'mail.send' AND args->>'template' = 'member-confirm'")
stored=$((after - before))
# wrk stops mid-request at the end of a run: requests it cut off may still
# have committed, so stored can exceed accepted, never fall short of it.
cat <<OUT

POST /v1/members, 32 connections, $duration (after a 3 s warm-up)
  signups/s        $rps   (target ≥ 1000)   p99 $p99 (target < 50 ms)
  GET /healthz/s   $(median healthz)   (same server, same connections: the in-run baseline)
  ratio            $(awk -v a="$rps" -v b="$(median healthz)" 'BEGIN {printf "%.3f", a/b}')
  accepted (2xx)   $accepted of $total requests
  members stored   $stored   (all runs: $after members, $jobs confirmation emails queued)
  queue drained    ${drained} s after the run (members.signup jobs still waiting then: $waiting)
  peak RSS         $(peak_rss_mb "$hpa_pid") MB
OUT
[ "$stored" -ge "$accepted" ] || { echo "LOST: accepted $accepted but stored $stored" >&2; exit 1; }
[ "$jobs" -eq "$after" ] || { echo "MISSING EMAIL: $after members but $jobs confirmation jobs" >&2; exit 1; }
psql -X -q "${db%/*}/postgres?sslmode=disable" -c "DROP DATABASE hpa_bench_signup WITH (FORCE)" >/dev/null
