#!/usr/bin/env bash
# Start-up to ready: the time from starting `hpa serve` (migrations already
# current, seed content present) to its first 200 from /readyz, the CPU the
# process used until then (what a busy machine turns into waiting), and
# from SIGTERM to exit, over several starts. STARTUP_CPUS=1 pins the server
# to one core, as when the other is busy; STARTUP_BIN measures another
# build (an older version, say). See docs/performance.md.
source "$(dirname "$0")/lib.sh"
runs=${STARTUP_RUNS:-15}
pin=()
[ -n "${STARTUP_CPUS:-}" ] && pin=(taskset -c "$(seq -s, 0 $((STARTUP_CPUS - 1)))")
if [ -n "${STARTUP_BIN:-}" ]; then hpa=$STARTUP_BIN; else build_hpa; hpa=$bench_tmp/hpa; fi
db=$(fresh_db hpa_bench_startup)
HPA_DATABASE_URL="$db" "$hpa" migrate up >/dev/null
HPA_DATABASE_URL="$db" "$hpa" seed >/dev/null
now_ms() { date +%s%3N; }
: >"$bench_tmp/ready"; : >"$bench_tmp/cpu"; : >"$bench_tmp/stop"
ticks=$(getconf CLK_TCK)
for i in $(seq 1 "$runs"); do
  port=$(free_port)
  start=$(now_ms)
  HPA_DATABASE_URL="$db" HPA_HTTP_ADDR="127.0.0.1:$port" "${pin[@]}" "$hpa" serve >"$bench_tmp/serve.log" 2>&1 &
  pid=$!
  until curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$port/readyz"; do
    kill -0 "$pid" 2>/dev/null || { cat "$bench_tmp/serve.log" >&2; exit 1; }
    sleep 0.005
  done
  echo $(( $(now_ms) - start )) >>"$bench_tmp/ready"
  awk -v t="$ticks" '{print int(($14 + $15) * 1000 / t)}' "/proc/$pid/stat" >>"$bench_tmp/cpu"
  stop=$(now_ms); kill -TERM "$pid"; wait "$pid" || true
  echo $(( $(now_ms) - stop )) >>"$bench_tmp/stop"
done
stats() { sort -n "$1" | awk '{a[NR]=$1} END {printf "median %d ms, min %d ms, max %d ms (%d runs)", a[int((NR+1)/2)], a[1], a[NR], NR}'; }
echo "start to ready: $(stats "$bench_tmp/ready")"
echo "CPU used until ready: $(stats "$bench_tmp/cpu")"
echo "SIGTERM to exit: $(stats "$bench_tmp/stop")"
grep -o '"startup":"[^"]*"\|startup=[^ ]*' "$bench_tmp/serve.log" | tail -1 | sed 's/^/last start, as logged: /'
