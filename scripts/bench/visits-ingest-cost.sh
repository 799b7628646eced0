#!/usr/bin/env bash
# What ingest costs, in CPU per event, with the rollup refresh caught up:
# for each build in BUILDS ("label=/path/to/hpa ...", default this tree),
# ROUNDS times in turn (A/B/A/B), on a fresh database: beacons (wrk -c64,
# random visitors) then batches of 500 (wrk -c4, 100,000 visitors
# repeating), DURATION each; after each phase it waits until every
# accepted event is written and no day is left dirty, and divides the CPU
# time the server and the database used in the phase by the events
# written. Throughput on a shared machine swings with others' load; CPU
# per event much less so.
#
# CATCH_UP=0 waits for the writer only (for a build that does not refresh).
# Needs BENCH_SERVER: a cluster of one's own on this machine (its CPU is
# read from /proc, every process of the cluster counted), with
# pg_stat_statements preloaded if the top statements are wanted
# (printed to $OUT/<label>-<round>.statements).
source "$(dirname "$0")/lib.sh"
need_wrk
: "${BENCH_SERVER:?set BENCH_SERVER to a PostgreSQL cluster of your own}"
export BENCH_LUA_DIR="$repo/scripts/bench/lua"
duration=${DURATION:-10s}
out=${OUT:-$bench_tmp}
mkdir -p "$out"
if [ -z "${BUILDS:-}" ]; then build_hpa; cp "$bench_tmp/hpa" "$bench_tmp/hpa-tree"; BUILDS="tree=$bench_tmp/hpa-tree"; fi
go build -o "$bench_tmp/bare" ./scripts/bench/bare

admin="$BENCH_SERVER/postgres?sslmode=disable"
datadir=$(psql -X -qtA "$admin" -c "SHOW data_directory")
postmaster=$(head -1 "$datadir/postmaster.pid")

# ticks PID...: CPU clock ticks of the processes and of their reaped children.
ticks() { for p in "$@"; do awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat" 2>/dev/null; done | awk '{s+=$1} END {print s+0}'; }
pg_ticks() { ticks "$postmaster" $(pgrep -P "$postmaster"); }
hz=$(getconf CLK_TCK)

metric() { curl -sf "$hpa_url/metrics" | awk -v m="$1" '$1==m {printf "%d", $2}'; }

phase() { # LABEL NAME LUA CONNECTIONS DB
  local db=$5 before_pg before_hpa before_n t0 t1 n accepted written dirty line
  before_pg=$(pg_ticks); before_hpa=$(ticks "$hpa_pid"); before_n=$(metric hpa_visits_events_written_total)
  line=$(wrk -t1 -c"$4" -d"$duration" -s "$BENCH_LUA_DIR/$3" "$hpa_url" | grep '^BENCH')
  t0=$(date +%s.%N)
  # The server's counters and the dirty days, not count(*) over the
  # events, which would cost the database more than what is measured.
  for _ in $(seq 1 3000); do
    accepted=$(metric hpa_visits_events_accepted_total); written=$(metric hpa_visits_events_written_total)
    dirty=$(psql -X -qtA "$db" -c "SELECT count(*) FROM visit_rollup_dirty")
    [ "$written" -ge "$accepted" ] && { [ "$dirty" = 0 ] || [ "${CATCH_UP:-1}" = 0 ]; } && break
    sleep 0.2
  done
  t1=$(date +%s.%N)
  n=$((written - before_n))
  awk -v l="$1" -v name="$2" -v n="$n" -v hz="$hz" -v pg="$(( $(pg_ticks) - before_pg ))" -v h="$(( $(ticks "$hpa_pid") - before_hpa ))" \
    -v catch="$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b-a}')" -v line="$line" -v la="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
      split(line, f, " "); for (i in f) { split(f[i], kv, "="); v[kv[1]] = kv[2] }
      per = (name == "batch") ? 500 : 1
      printf "%-10s %-7s events %8d  wrk %8.0f ev/s  server %6.1f µs/ev  database %6.1f µs/ev  total %6.1f  caught up %5.1f s after  load %s\n",
        l, name, n, v["rps"] * per, 1e6 * h / hz / n, 1e6 * pg / hz / n, 1e6 * (h + pg) / hz / n, catch, la }' | tee -a "$out/results"
}

for round in $(seq 1 "${ROUNDS:-2}"); do
  for build in $BUILDS; do
    label=${build%%=*}; bin=${build#*=}
    ln -sf "$bin" "$bench_tmp/hpa"
    db=$(fresh_db hpa_bench_ingest_cost)
    start_hpa "$db" HPA_LOG_LEVEL=${HPA_LOG_LEVEL:-info} HPA_VISITS_HOSTNAMES=www.example.org HPA_TRUSTED_PROXIES=127.0.0.1 \
      HPA_VISITS_VISITOR_RATE_LIMIT=1000000 ${HPA_BENCH_ENV:-}
    [ -z "${BENCH_SQL:-}" ] || psql -X -qtA "$db" -c "$BENCH_SQL" >/dev/null
    psql -X -qtA "$admin" -c "SELECT pg_stat_statements_reset()" >/dev/null 2>&1 || true
    phase "$label" beacon beacon.lua 64 "$db"
    phase "$label" batch batch.lua "${BATCH_CONNS:-4}" "$db"
    n=$(psql -X -qtA "$db" -c "SELECT count(*) FROM visit_events")
    [ "$n" = "$(metric hpa_visits_events_written_total)" ] || echo "$label: $n events in the table, the server counted $(metric hpa_visits_events_written_total)" | tee -a "$out/results"
    psql -X "$admin" -c "SELECT round(total_exec_time) AS ms, calls, rows, left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS query
      FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 10" >"$out/$label-$round.statements" 2>&1 || true
    kill "$hpa_pid"; wait "$hpa_pid" 2>/dev/null || true
    psql -X -q "$admin" -c "DROP DATABASE hpa_bench_ingest_cost WITH (FORCE)" >/dev/null 2>&1 || true
  done
done
echo "load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
