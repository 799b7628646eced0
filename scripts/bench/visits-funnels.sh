#!/usr/bin/env bash
# Saved funnels: what evaluating a saved funnel and exporting them cost.
# Loads PAGEVIEWS (default 200,000) synthetic page views over DAYS (30)
# into DB_URL (default: a fresh database on the dev server), saves
# FUNNELS (default 10, the bound) funnels, then times, one request at a time and
# alternating (A/B/A/B, RUNS rounds, default 5):
#   - a saved funnel's report (GET /v1/stats/funnels/{id}/report) against
#     the ad-hoc funnel with the same steps (POST /v1/stats/funnel);
#   - the export for 7 days with the funnels saved against the same export
#     with none (the funnels are moved aside and back between runs).
# Prints each pair's medians and their ratio.
source "$(dirname "$0")/lib.sh"
build_hpa
pageviews=${PAGEVIEWS:-200000}; days=${DAYS:-30}; funnels=${FUNNELS:-10}; runs=${RUNS:-5}
db=${DB_URL:-$(fresh_db hpa_bench_funnels)}
export HPA_VISITS_HOSTNAMES=www.example.org
HPA_DATABASE_URL="$db" "$bench_tmp/hpa" migrate up >/dev/null
HPA_DATABASE_URL="$db" "$bench_tmp/hpa" dev generate-visits --pageviews "$pageviews" --days "$days" | tail -1
start_hpa "$db" HPA_LOG_LEVEL=warn
email="bench-$RANDOM@example.org"; password="bench password $RANDOM$RANDOM"
HPA_DATABASE_URL="$db" "$bench_tmp/hpa" admin create --email "$email" --role analyst --password-stdin <<<"$password" >/dev/null
token=$(curl -sf "$hpa_url/v1/auth/login" -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"$password\"}" | jq -r .access_token)
auth=(-H "Authorization: Bearer $token")
steps='[{"page":"/"},{"page":"/donate"},{"event_name":"donate-clicked"}]'
first=""
for i in $(seq 1 "$funnels"); do
  id=$(curl -sf "$hpa_url/v1/stats/funnels" "${auth[@]}" -H 'Content-Type: application/json' \
    -d "{\"name\":\"Funnel $i\",\"steps\":$steps}" | jq -r .id)
  first=${first:-$id}
done
psql -X -q "$db" -c "CREATE TABLE bench_funnels_aside (LIKE visit_funnels)"
aside() { psql -X -q "$db" -c "INSERT INTO bench_funnels_aside SELECT * FROM visit_funnels" -c "DELETE FROM visit_funnels"; }
back() { psql -X -q "$db" -c "INSERT INTO visit_funnels SELECT * FROM bench_funnels_aside" -c "DELETE FROM bench_funnels_aside"; }
ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
saved=(); adhoc=(); with=(); without=()
for _ in $(seq 1 "$runs"); do
  saved+=("$(ms curl -sf "$hpa_url/v1/stats/funnels/$first/report?period=30d" "${auth[@]}")")
  adhoc+=("$(ms curl -sf "$hpa_url/v1/stats/funnel" "${auth[@]}" -H 'Content-Type: application/json' -d "{\"date_range\":\"30d\",\"steps\":$steps}")")
  with+=("$(ms curl -sf "$hpa_url/v1/stats/export?period=7d" "${auth[@]}")")
  aside
  without+=("$(ms curl -sf "$hpa_url/v1/stats/export?period=7d" "${auth[@]}")")
  back
done
m() { printf '%s\n' "$@" | median; }
echo "$(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg); $pageviews page views over $days days, $funnels funnels, $runs rounds"
echo "saved funnel report 30d: median $(m "${saved[@]}") ms (${saved[*]}); ad-hoc funnel: $(m "${adhoc[@]}") ms (${adhoc[*]}); ratio $(awk -v a="$(m "${saved[@]}")" -v b="$(m "${adhoc[@]}")" 'BEGIN {printf "%.2f", a/b}')"
echo "export 7d with $funnels funnels: median $(m "${with[@]}") ms (${with[*]}); with none: $(m "${without[@]}") ms (${without[*]}); ratio $(awk -v a="$(m "${with[@]}")" -v b="$(m "${without[@]}")" 'BEGIN {printf "%.2f", a/b}')"
