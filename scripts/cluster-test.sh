#!/usr/bin/env bash
# cluster-test.sh: the service as several instances, proved under load.
#
#   scripts/cluster-test.sh [SECONDS]     (make cluster-test; default 50 s of load)
#
# Starts, all on loopback and thrown away afterwards: a PostgreSQL primary
# with a streaming replica (pg_basebackup), three `hpa serve` instances
# (reads of statistics on the replica), and HAProxy in front checking
# /readyz. It drives mixed load through HAProxy (scripts/cluster/driver)
# while it restarts each instance in turn and takes each out of HAProxy's
# pool and back, then checks that no request failed, every limit held
# across the instances, every cache saw every content change within a
# second, every acknowledged visit was counted, periodic jobs ran once
# per tick, the event on sale was not overbooked and each Stripe event
# (delivered twice, to any instance) made one gift. Needs the PostgreSQL server programs and haproxy (installed
# with apt-get when missing); run as root or as a user who can run initdb.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
duration=${1:-50}
say() { echo "cluster-test: $*" >&2; }

command -v haproxy >/dev/null || { say "installing haproxy"; apt-get install -y -qq haproxy >/dev/null; }
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r | head -1)
[ -x "$bin/initdb" ] || bin=$(dirname "$(command -v initdb)")

tmp=$(mktemp -d /tmp/hpa-cl-XXXXXX) # short: socket paths stay under 107 bytes
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for d in primary replica; do [ -d "$tmp/$d" ] && as_owner "$bin/pg_ctl" -D "$tmp/$d" -m immediate stop >/dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# PostgreSQL: a primary and a streaming replica.
mkdir -p "$tmp/s"
[ "$(id -u)" = 0 ] && chown postgres "$tmp" "$tmp/s"
pg_start() { # DIR PORT
  as_owner "$bin/pg_ctl" -D "$tmp/$1" -l "$tmp/$1.log" -w -t 60 start -o "-p $2 -k $tmp/s -c listen_addresses=127.0.0.1 \
    -c wal_level=replica -c max_wal_senders=5 -c hot_standby=on -c fsync=off -c max_connections=200" >/dev/null
}
primary_port=$(free_port); replica_port=$(free_port)
as_owner "$bin/initdb" -D "$tmp/primary" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 --no-sync >/dev/null
pg_start primary "$primary_port"
as_owner "$bin/psql" -X -q -h 127.0.0.1 -p "$primary_port" -U postgres -c "CREATE DATABASE hpa" >/dev/null
as_owner "$bin/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$tmp/replica" -R -X stream -c fast >/dev/null
pg_start replica "$replica_port"
primary="postgres://postgres@127.0.0.1:$primary_port/hpa?sslmode=disable"
replica="postgres://postgres@127.0.0.1:$replica_port/hpa?sslmode=disable"
say "primary on :$primary_port, replica on :$replica_port"

# stripe-mock for the instances' calls to Stripe (make tools installs it).
stripe_mock=${HPA_STRIPE_MOCK:-$repo/.tools/bin/stripe-mock}
[ -x "$stripe_mock" ] || { say "stripe-mock not found: run make tools"; exit 1; }
stripe_port=$(free_port)
"$stripe_mock" -http-addr "127.0.0.1:$stripe_port" -https-addr "127.0.0.1:$(free_port)" >"$tmp/stripe-mock.log" 2>&1 &
pids+=("$!")
webhook_secret=whsec_cluster_test_secret

# Three instances.
go build -o "$tmp/hpa" ./cmd/hpa
go build -o "$tmp/driver" ./scripts/cluster/driver
export HPA_STRIPE_SECRET_KEY=sk_test_cluster HPA_STRIPE_API_URL="http://127.0.0.1:$stripe_port" \
  HPA_STRIPE_WEBHOOK_SECRETS="$webhook_secret"
export HPA_DATABASE_URL="$primary" HPA_DATABASE_READ_URL="$replica" HPA_TRUSTED_PROXIES=127.0.0.1 HPA_RATE_LIMIT=1000000 \
  HPA_VISITS_HOSTNAMES=www.example.org HPA_VISITS_ROLLUP_INTERVAL=2s HPA_SHUTDOWN_DRAIN_DELAY=2s \
  HPA_DEV_KEYS_FILE="$tmp/dev-keys.env" HPA_LOG_FORMAT=text
ports=(); ipids=()
start_instance() { # INDEX
  local i=$1 port=${ports[$1]}
  HPA_HTTP_ADDR="127.0.0.1:$port" "$tmp/hpa" serve >>"$tmp/hpa-$i.log" 2>&1 &
  ipids[$i]=$!; pids+=("$!")
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && return 0; sleep 0.05; done
  say "instance $i did not become ready:"; tail -20 "$tmp/hpa-$i.log" >&2; exit 1
}
for i in 1 2 3; do ports[$i]=$(free_port); start_instance "$i"; done
printf 'a-cluster-test-password\n' | "$tmp/hpa" admin create --email admin@example.org --password-stdin >/dev/null
say "instances on :${ports[1]} :${ports[2]} :${ports[3]}"

# HAProxy in front, taking an instance out as soon as /readyz fails.
lb_port=$(free_port); admin_port=$(free_port)
cat >"$tmp/haproxy.cfg" <<CFG
global
  stats socket ipv4@127.0.0.1:$admin_port level admin
  maxconn 4000
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  retries 3
  option redispatch
  option forwardfor
frontend api
  bind 127.0.0.1:$lb_port
  default_backend hpa
backend hpa
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  timeout check 1s
  default-server inter 300ms fall 2 rise 2
  server i1 127.0.0.1:${ports[1]} check
  server i2 127.0.0.1:${ports[2]} check
  server i3 127.0.0.1:${ports[3]} check
CFG
haproxy -f "$tmp/haproxy.cfg" -db >"$tmp/haproxy.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$lb_port/readyz" >/dev/null && break; sleep 0.05; done
haproxy_cmd() { exec 3<>"/dev/tcp/127.0.0.1/$admin_port"; echo "$1" >&3; cat <&3 >/dev/null; exec 3<&-; }

# With CLUSTER_BENCH=1: page-read throughput through the balancer to the
# three instances, then straight to one, in the same run (wrk, 10 s each).
if [ "${CLUSTER_BENCH:-}" = 1 ]; then
  command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
  for target in "three instances behind HAProxy=http://127.0.0.1:$lb_port" "one instance direct=http://127.0.0.1:${ports[1]}"; do
    rps=$(wrk -t2 -c32 -d10s "${target#*=}/v1/pages/donate" | awk '/Requests\/sec/ {print $2}')
    say "page reads, ${target%%=*}: $rps requests/s"
  done
fi

say "driving load for ${duration}s through HAProxy on :$lb_port"
"$tmp/driver" -lb "http://127.0.0.1:$lb_port" -db "$primary" -duration "${duration}s" -restarts 3 -webhook-secret "$webhook_secret" \
  -instances "http://127.0.0.1:${ports[1]},http://127.0.0.1:${ports[2]},http://127.0.0.1:${ports[3]}" \
  -email admin@example.org -password a-cluster-test-password >"$tmp/driver.out" 2>&1 &
driver=$!
sleep 5
for i in 1 2 3; do # rolling restart: each drains (readyz fails, goes on serving), stops and comes back
  say "restarting instance $i"
  kill -TERM "${ipids[$i]}"; wait "${ipids[$i]}" || true
  start_instance "$i"
  sleep 3
done
for i in 1 2 3; do # the balancer's view: each instance out of the pool and back
  say "HAProxy: instance $i out of the pool and back"
  haproxy_cmd "disable server hpa/i$i"; sleep 2
  haproxy_cmd "enable server hpa/i$i"; sleep 1
done
status=0
wait "$driver" || status=$?
cat "$tmp/driver.out"
if [ "$status" != 0 ]; then
  for i in 1 2 3; do say "instance $i log (end):"; grep -E 'level=(WARN|ERROR)' "$tmp/hpa-$i.log" | tail -5 >&2 || true; done
  exit "$status"
fi
say "passed"
