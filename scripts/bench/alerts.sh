#!/usr/bin/env bash
# An opportunity alert to 50,000 matching members: how long until every
# alert is queued, how fast the outbox sends through a local SMTP sink,
# and that a restart in the middle (SIGTERM, as a deploy does) sends
# nobody a second copy. Baseline in the same run: the sink's own rate
# for a plain SMTP client is not measured; the figures are absolute
# against the issue's targets (queued < 10 s, >= 200 emails/s).
source "$(dirname "$0")/lib.sh"
build_hpa
go build -o "$bench_tmp/smtpsink" ./scripts/bench/smtpsink
members=${MEMBERS:-50000}
db=$(fresh_db hpa_bench_alerts)
key() { head -c 32 /dev/urandom | base64 | tr -d '\n'; }
export HPA_ENCRYPTION_KEYS="bench:$(key)" HPA_HASH_KEY="$(key)" HPA_JWT_KEYS="bench:$(key)"

"$bench_tmp/smtpsink" >"$bench_tmp/sink.ports" 2>"$bench_tmp/sink.log" &
pids+=("$!")
for _ in $(seq 1 100); do [ -s "$bench_tmp/sink.ports" ] && break; sleep 0.05; done
read -r smtp_port sink_http <"$bench_tmp/sink.ports"
sink() { curl -sf "http://127.0.0.1:$sink_http/" | jq -r ".$1"; }
mailenv=(HPA_LOG_LEVEL=warn HPA_MAIL_TRANSPORT=smtp HPA_SMTP_HOST=127.0.0.1 HPA_SMTP_PORT="$smtp_port" HPA_SMTP_TIMEOUT=10s)

start_hpa "$db" "${mailenv[@]}"
HPA_DATABASE_URL="$db" "$bench_tmp/hpa" dev generate-members --count "$members" --interests research-opportunities --prefix bench
echo "a long bench editor password" | HPA_DATABASE_URL="$db" "$bench_tmp/hpa" admin create --email editor@bench.example --role editor --password-stdin >/dev/null
token=$(curl -sf "$hpa_url/v1/auth/login" -H 'Content-Type: application/json' \
  -d '{"email":"editor@bench.example","password":"a long bench editor password"}' | jq -r .access_token)
auth=(-H "Authorization: Bearer $token" -H 'Content-Type: application/json')
opp=$(curl -sf "$hpa_url/v1/opportunities" "${auth[@]}" -d '{"kind":"research-study","title":"Bench study","summary":"A study.",
  "organiser_name":"Bench University","ethics_reference":"REC 1","external_url":"https://example.org/study"}' | jq -r .id)

t0=$(date +%s%N)
curl -sf "$hpa_url/v1/opportunities/$opp/review" "${auth[@]}" -d '{"action":"publish"}' >/dev/null
queued=0
while [ "$queued" -lt "$members" ]; do
  queued=$(psql -X -tA "$db" -c "SELECT count(*) FROM river_job WHERE kind = 'engagement.alert_send'")
  [ $(( ($(date +%s%N) - t0) / 1000000000 )) -lt 120 ] || { echo "alerts not queued after 2 minutes ($queued)" >&2; exit 1; }
  sleep 0.1
done
t_queued=$(( ($(date +%s%N) - t0) / 1000000 ))

# Let about half go out, then restart the server as a deploy would.
while [ "$(sink messages)" -lt $((members / 2)) ]; do sleep 0.2; done
first=$(sink messages); t_first=$(date +%s%N)
sleep 5
second=$(sink messages); t_second=$(date +%s%N)
rate=$(awk -v a="$first" -v b="$second" -v t1="$t_first" -v t2="$t_second" 'BEGIN {printf "%.0f", (b-a)/((t2-t1)/1e9)}')
kill -TERM "$hpa_pid"; wait "$hpa_pid" 2>/dev/null || true
at_restart=$(sink messages)
start_hpa "$db" "${mailenv[@]}"
deadline=$(( $(date +%s) + 600 ))
while [ "$(sink messages)" -lt "$members" ] && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.5; done
sleep 3 # anything extra (a duplicate) would arrive now
cat <<OUT

Alert to $members matching members (research-opportunities interest and consent)
  all alerts queued after publishing   $t_queued ms   (target < 10,000)
  sending rate through the SMTP sink   $rate emails/s over 5 s mid-send   (target >= 200)
  restart (SIGTERM) after              $at_restart emails
  emails received                      $(sink messages)   (want $members)
  duplicates (same address, subject)   $(sink duplicates)   (want 0)
  peak RSS                             $(peak_rss_mb "$hpa_pid") MB (after the restart)
OUT
[ "$(sink messages)" -eq "$members" ] && [ "$(sink duplicates)" -eq 0 ] || { echo "FAILED" >&2; exit 1; }
psql -X -q "${db%/*}/postgres?sslmode=disable" -c "DROP DATABASE hpa_bench_alerts WITH (FORCE)" >/dev/null
