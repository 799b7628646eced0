#!/usr/bin/env bash
# dev-postgres.sh: find or start a PostgreSQL server for development and tests.
#
#   scripts/dev-postgres.sh url [DATABASE]   print a connection URL, creating DATABASE if missing
#   scripts/dev-postgres.sh stop             stop the throwaway cluster, if this script started one
#
# Order of preference: the server HPA_DATABASE_URL points at (for `url` with
# no DATABASE), then one on 127.0.0.1:5432, then a throwaway cluster under
# .data/ (or under /tmp when the postgres user cannot reach .data/). The
# throwaway cluster trusts local connections, skips fsync and is for
# development only. HPA_DEV_POSTGRES=throwaway skips the first two choices.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
say() { echo "dev-postgres: $*" >&2; }

pg_bin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) /usr/local/pgsql/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return; }
  return 1
}

# as_owner runs a command as the cluster's owner: postgres when we are root
# (initdb refuses to run as root), ourselves otherwise.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    if command -v runuser >/dev/null 2>&1; then runuser -u postgres -- "$@"; else su postgres -s /bin/sh -c "$(printf '%q ' "$@")"; fi
  else
    "$@"
  fi
}

ready() { # host port
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$1" -p "$2" -t 2
  else
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
  fi
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# cluster_dirs sets datadir and sockdir for the throwaway cluster.
cluster_dirs() {
  local id
  id=$(printf '%s' "$repo" | cksum | cut -d' ' -f1)
  datadir="$repo/.data/pg"
  if [ "$(id -u)" = 0 ]; then
    mkdir -p "$repo/.data"
    if ! runuser -u postgres -- test -x "$repo/.data" 2>/dev/null; then
      datadir="/tmp/hpa-pg-$id/data" # the postgres user cannot traverse the checkout's parents
    fi
  fi
  sockdir="/tmp/hpa-pg-$id-sock" # short: socket paths must stay under 107 bytes
}

start_cluster() {
  local bin port
  bin=$(pg_bin) || { say "no PostgreSQL server on 127.0.0.1:5432 and no PostgreSQL binaries: install postgresql (apt-get install postgresql) or set HPA_DATABASE_URL"; exit 1; }
  cluster_dirs
  mkdir -p "$datadir" "$sockdir"
  [ "$(id -u)" = 0 ] && chown postgres "$datadir" "$sockdir" && chmod 700 "$datadir"
  if [ ! -s "$datadir/PG_VERSION" ]; then
    say "initialising a throwaway cluster in $datadir"
    as_owner "$bin/initdb" -D "$datadir" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if [ -s "$datadir/hpa-port" ]; then
    port=$(cat "$datadir/hpa-port")
  else
    port=55432
    while ! port_free "$port"; do port=$((port + 1)); done
    echo "$port" | as_owner tee "$datadir/hpa-port" >/dev/null
  fi
  if ! as_owner "$bin/pg_ctl" -D "$datadir" status >/dev/null 2>&1; then
    say "starting it on 127.0.0.1:$port"
    as_owner "$bin/pg_ctl" -D "$datadir" -l "$datadir/server.log" -w -t 30 start \
      -o "-p $port -k $sockdir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
  fi
  server_url="postgres://postgres@127.0.0.1:$port"
}

server_url=""
find_server() {
  if [ "${HPA_DEV_POSTGRES:-}" != throwaway ] && ready 127.0.0.1 5432; then
    server_url="postgres://postgres@127.0.0.1:5432"
  else
    start_cluster
  fi
}

ensure_database() { # name
  local name=$1
  if ! psql -X -q "$server_url/postgres?sslmode=disable" -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
    psql -X -q "$server_url/postgres?sslmode=disable" -c "CREATE DATABASE \"$name\"" >/dev/null
    say "created database $name"
  fi
}

case "${1:-}" in
  url)
    db=${2:-}
    if [ -z "$db" ] && [ -n "${HPA_DATABASE_URL:-}" ] && [ "${HPA_DEV_POSTGRES:-}" != throwaway ]; then echo "$HPA_DATABASE_URL"; exit 0; fi
    find_server
    db=${db:-hpa}
    ensure_database "$db"
    echo "$server_url/$db?sslmode=disable"
    ;;
  stop)
    cluster_dirs
    if bin=$(pg_bin) && [ -s "$datadir/PG_VERSION" ]; then
      as_owner "$bin/pg_ctl" -D "$datadir" -m fast stop || true
    fi
    ;;
  *)
    sed -n '2,12p' "$0" >&2
    exit 2
    ;;
esac
