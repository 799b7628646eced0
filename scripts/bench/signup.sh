#!/usr/bin/env bash
# Sustained signups at 32 connections (wrk -t1), with confirmation emails
# sent through SMTP to a local sink (scripts/bench/smtpsink), against
# GET /healthz on the same server and connections as the in-run baseline.
# Reports signups accepted/s, confirmation emails delivered/s during the
# round, the time to deliver the rest after it, and the bytes each member
# costs in the database (all in: member, consents, tokens, throttle rows,
# job history) after VACUUM. Then checks that every accepted signup is a
# member with exactly one confirmation email delivered.
#
#   DURATION=20s   length of the measured round
#   SIGNUPS=n      end the round once n signups are stored (e.g. 100000, with
#                  a DURATION long enough to reach it): wrk is interrupted, so
#                  its rates are over the time it ran
#   HPA_BIN=path   measure another build (e.g. main's) instead of this tree's
#   DB_CONNS=20    HPA_DB_MAX_CONNS for the server
#   MAIL_WORKERS=n HPA_MAIL_WORKERS for the server (builds that have it)
#   PRUNE=1        also measure the storage once River's cleaner has deleted
#                  the finished jobs (the server runs with HPA_JOB_RETENTION=5s;
#                  builds that keep them a day are measured as they are)
#   FULL=1         also after VACUUM (FULL), with bytes per member by relation
# The database server is BENCH_SERVER's (see scripts/bench/lib.sh); give it
# a production-like cluster of its own (fsync and autovacuum on).
source "$(dirname "$0")/lib.sh"
need_wrk
build_hpa
go build -o "$bench_tmp/smtpsink" ./scripts/bench/smtpsink
db=$(fresh_db hpa_bench_signup)
duration=${DURATION:-20s}
export CONSENT_VERSION=$(grep -o 'Version: "[0-9-]*"' internal/members/consent.go | head -1 | cut -d'"' -f2)

"$bench_tmp/smtpsink" >"$bench_tmp/sink.ports" 2>"$bench_tmp/sink.log" &
pids+=("$!")
for _ in $(seq 1 100); do [ -s "$bench_tmp/sink.ports" ] && break; sleep 0.05; done
read -r smtp_port sink_http <"$bench_tmp/sink.ports"
sink() { curl -sf "http://127.0.0.1:$sink_http/" | jq -r ".$1"; }

q() { psql -X -tA "$db" -c "$1"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", b-a}'; }
size() { q "SELECT pg_database_size(current_database())"; }

start_hpa "$db" HPA_LOG_LEVEL=warn HPA_SIGNUP_RATE_LIMIT=10000000 HPA_MAIL_TRANSPORT=smtp HPA_SMTP_HOST=127.0.0.1 \
  HPA_SMTP_PORT="$smtp_port" HPA_SMTP_TLS=none HPA_DB_MAX_CONNS=${DB_CONNS:-20} ${MAIL_WORKERS:+HPA_MAIL_WORKERS=$MAIL_WORKERS} HPA_JOB_RETENTION=$([ -n "${PRUNE:-}" ] && echo 5s || echo 1h)
q "VACUUM" >/dev/null
empty=$(size)

# wait_all: wait (up to ten minutes) until every queued signup is a
# member and the sink has an email for each; members then holds the count.
wait_all() {
  for _ in $(seq 1 6000); do
    if [ "$(q "SELECT count(*) FROM member_signup_requests")" -eq 0 ]; then
      members=$(q "SELECT count(*) FROM members")
      [ "$(sink messages)" -ge "$members" ] && return 0
    fi
    sleep 0.1
  done
  return 1
}

wrk -t1 -c32 -d3s -s scripts/bench/signup.lua "$hpa_url" >/dev/null # warm up
wait_all || { echo "warm-up emails not delivered" >&2; exit 1; }
warm=$members
q "TRUNCATE member_email_throttle" >/dev/null
run_wrk healthz "$hpa_url/healthz" -t1 -c32 -d10s
sent_before=$(sink messages)
t0=$(now)
wrk --latency -t1 -c32 -d"$duration" -s scripts/bench/signup.lua "$hpa_url" >"$bench_tmp/wrk.out" &
wrk_pid=$!
if [ -n "${SIGNUPS:-}" ]; then # wrk reports its true elapsed time when interrupted
  while kill -0 "$wrk_pid" 2>/dev/null; do
    [ "$(q "SELECT (SELECT count(*) FROM members) + (SELECT count(*) FROM member_signup_requests)")" -ge $((warm + SIGNUPS)) ] && kill -INT "$wrk_pid" 2>/dev/null
    sleep 0.5
  done
fi
wait "$wrk_pid" || true
out=$(cat "$bench_tmp/wrk.out")
t1=$(now)
sent_during=$(( $(sink messages) - sent_before ))
echo "$out" | tail -12
rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
total=$(awk '/requests in/ {print $1}' <<<"$out")
non2xx=$(awk '/Non-2xx/ {print $4}' <<<"$out"); non2xx=${non2xx:-0}
p99=$(awk '$1=="99%" {print $2}' <<<"$out")
accepted=$((total - non2xx))
# wrk stops mid-request at the end of a run: requests it cut off may still
# have committed, so stored can exceed accepted, never fall short of it.
wait_all || true
t2=$(now)
after=$members
stored=$((after - warm))
round=$(elapsed "$t0" "$t1")
delivered_rate=$(awk -v n="$sent_during" -v t="$round" 'BEGIN {printf "%.0f", n/t}')
q "VACUUM" >/dev/null
grown=$(( $(size) - empty ))
pruned="not measured (PRUNE=1)"
if [ -n "${PRUNE:-}" ]; then
  for _ in $(seq 1 60); do # the cleaner runs every 30 s
    [ "$(q "SELECT count(*) FROM river_job WHERE state = 'completed' AND kind IN ('mail.send', 'mail.compose')")" -eq 0 ] && break
    sleep 1
  done
  q "VACUUM" >/dev/null
  left=$(q "SELECT count(*) FROM river_job WHERE state = 'completed'")
  pruned="$(( ($(size) - empty) / after )) bytes per member ($left finished jobs left)"
fi
# per_member: each relation's bytes per member (tables with their TOAST,
# indexes apart), largest first.
per_member() {
  q "SELECT string_agg(format('%s %s', relname, bytes / $after), ', ' ORDER BY bytes DESC) FROM (
    SELECT c.relname, pg_relation_size(c.oid) + coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0) AS bytes
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'i') AND n.nspname = 'public') r WHERE bytes / $after > 0"
}
breakdown=$(per_member)
full="not measured (FULL=1)"
if [ -n "${FULL:-}" ]; then
  q "VACUUM (FULL)" >/dev/null
  full="$(( ($(size) - empty) / after )) bytes per member; by relation: $(per_member)"
fi
tables=$(q "SELECT string_agg(format('%s %s', c.relname, pg_size_pretty(pg_total_relation_size(c.oid))), ', ' ORDER BY pg_total_relation_size(c.oid) DESC)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r' AND n.nspname = 'public' AND pg_total_relation_size(c.oid) > 1048576")
cat <<OUT

POST /v1/members, 32 connections, $duration (after a 3 s warm-up), emails over SMTP to a local sink
  accepted/s       $rps   p99 $p99 (target < 50 ms)
  delivered/s      $delivered_rate   ($sent_during confirmation emails during the ${round} s round; ratio to accepted $(awk -v a="$delivered_rate" -v b="$rps" 'BEGIN {printf "%.2f", a/b}'))
  drain            $(elapsed "$t1" "$t2") s after the round until every member's email was delivered
  GET /healthz/s   $(median healthz)   (same server, same connections: the in-run baseline)
  accepted (2xx)   $accepted of $total requests; members stored $stored (all runs: $after)
  emails           $(sink messages) delivered, $(sink duplicates) duplicates
  after pruning    $pruned
  by relation      $breakdown (bytes per member, last VACUUM)
  VACUUM (FULL)    $full
  storage          $((grown / after)) bytes per member after VACUUM ($((grown / 1048576)) MB for $after members; tables over 1 MB: $tables)
  peak RSS         $(peak_rss_mb "$hpa_pid") MB
OUT
[ "$stored" -ge "$accepted" ] || { echo "LOST: accepted $accepted but stored $stored" >&2; exit 1; }
[ "$(sink messages)" -eq "$after" ] && [ "$(sink duplicates)" -eq 0 ] || { echo "EMAIL: $after members but $(sink messages) emails, $(sink duplicates) duplicates" >&2; exit 1; }
psql -X -q "${db%/*}/postgres?sslmode=disable" -c "DROP DATABASE hpa_bench_signup WITH (FORCE)" >/dev/null
