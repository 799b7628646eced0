#!/usr/bin/env bash
# ts-golden-path.sh: the frontend team's journeys, run through the typed
# TypeScript client (openapi/typescript) against a live `hpa serve`.
#
# Builds hpa and the SMTP sink, makes a fresh database (on the server
# HPA_TEST_DATABASE_URL names, else the one scripts/dev-postgres.sh finds or
# starts), starts stripe-mock, the sink (which keeps every email, so the
# journeys follow the links the API really sent) and the server on free
# ports, creates an editor with `hpa admin create`, then installs the pinned
# npm packages, generates the types from openapi/openapi.yaml, compiles the
# journeys with `tsc --strict` and runs them with node. Everything it started
# is stopped and the database dropped on exit.
#
#   HPA_STRIPE_MOCK=path   stripe-mock binary (default .tools/bin/stripe-mock)
#   KEEP_LOGS=1            print the server's log even when the run passes
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
client="$repo/openapi/typescript"
tmp=$(mktemp -d)
pids=()
db_admin=""
db_name="hpa_ts_golden_$$"

cleanup() {
  local status=$?
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "$db_admin" ]; then
    psql -X -q "$db_admin" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db_name WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  if [ "$status" -ne 0 ] || [ -n "${KEEP_LOGS:-}" ]; then
    for log in "$tmp"/*.log; do [ -s "$log" ] && { echo "--- $(basename "$log") (last 40 lines)"; tail -n 40 "$log"; }; done >&2
  fi
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
say() { echo "ts-golden-path: $*" >&2; }

# wait_for FILE PATTERN: wait up to 3 minutes for a line matching PATTERN.
wait_for() {
  for _ in $(seq 1 1800); do
    grep -Eq "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  say "timed out waiting for /$2/ in $1"; return 1
}

stripe_mock=${HPA_STRIPE_MOCK:-$repo/.tools/bin/stripe-mock}
[ -x "$stripe_mock" ] || { say "stripe-mock not found at $stripe_mock: run make tools"; exit 1; }
command -v node >/dev/null && command -v npm >/dev/null || { say "needs node and npm"; exit 1; }

# stripe-mock parses Stripe's whole OpenAPI document at start-up: start it
# first and let it work while everything else is built.
"$stripe_mock" -http-addr 127.0.0.1:0 -https-addr 127.0.0.1:0 >"$tmp/stripe-mock.log" 2>&1 &
pids+=("$!")

server=${HPA_TEST_DATABASE_URL:-$(scripts/dev-postgres.sh url postgres)}
server=${server%%\?*}; server=${server%/*}
db_admin="$server/postgres?sslmode=disable"
psql -X -q "$db_admin" -c "SET client_min_messages = warning" -c "CREATE DATABASE $db_name" >/dev/null
db="$server/$db_name?sslmode=disable"

say "building hpa and the SMTP sink; installing the client's packages"
go build -o "$tmp/hpa" ./cmd/hpa &
build_hpa=$!
go build -o "$tmp/smtpsink" ./scripts/bench/smtpsink &
build_sink=$!
(cd "$client" && npm ci --no-audit --no-fund --loglevel=error >"$tmp/npm.log" 2>&1 &&
  npm run --silent generate >>"$tmp/npm.log" 2>&1 && npx tsc -p . >>"$tmp/npm.log" 2>&1) &
build_ts=$!
pids+=("$build_ts")
wait "$build_hpa"
wait "$build_sink"

"$tmp/smtpsink" -keep >"$tmp/sink.ports" 2>"$tmp/sink.log" &
pids+=("$!")
wait_for "$tmp/sink.ports" '^[0-9]+ [0-9]+$'
read -r smtp_port sink_port <"$tmp/sink.ports"

wait_for "$tmp/stripe-mock.log" 'Listening for HTTP at address: '
stripe_url="http://$(grep -Eo 'Listening for HTTP at address: \S+' "$tmp/stripe-mock.log" | head -1 | awk '{print $NF}')"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export HPA_DATABASE_URL="$db" HPA_DEV_KEYS_FILE="$tmp/dev-keys.env"
env HPA_HTTP_ADDR="127.0.0.1:$port" HPA_PUBLIC_BASE_URL="http://127.0.0.1:$port" \
  HPA_LOG_LEVEL=warn HPA_ACCESS_LOG=errors HPA_SHUTDOWN_DRAIN_DELAY=0 \
  HPA_MAIL_TRANSPORT=smtp HPA_SMTP_HOST=127.0.0.1 HPA_SMTP_PORT="$smtp_port" HPA_SMTP_TLS=none \
  HPA_STRIPE_SECRET_KEY=sk_test_123 HPA_STRIPE_API_URL="$stripe_url" HPA_STRIPE_WEBHOOK_SECRETS=whsec_golden_path \
  HPA_ENQUIRY_MIN_FILL_TIME=0 HPA_VISITS_FLUSH_INTERVAL=100ms HPA_VISITS_ROLLUP_INTERVAL=1s \
  "$tmp/hpa" serve >"$tmp/hpa.log" 2>&1 &
hpa_pid=$!
pids+=("$hpa_pid")
api="http://127.0.0.1:$port"
for i in $(seq 1 600); do
  curl -sf "$api/readyz" >/dev/null && break
  kill -0 "$hpa_pid" 2>/dev/null || { say "hpa serve exited"; exit 1; }
  [ "$i" -lt 600 ] || { say "hpa serve did not become ready"; exit 1; }
  sleep 0.1
done

editor_email=editor@golden-path.example.org
editor_password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$editor_password" |
  "$tmp/hpa" admin create --email "$editor_email" --name "Golden Path Editor" --role editor --password-stdin >/dev/null

wait "$build_ts" || { say "npm ci, generate or tsc failed:"; cat "$tmp/npm.log" >&2; exit 1; }
say "running the journeys against $api"
(cd "$client" && HPA_API_URL="$api" HPA_SINK_URL="http://127.0.0.1:$sink_port" \
  HPA_EDITOR_EMAIL="$editor_email" HPA_EDITOR_PASSWORD="$editor_password" node build/src/golden-path.js)
