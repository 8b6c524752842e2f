#!/usr/bin/env bash
# Starts or stops the throwaway PostgreSQL cluster the tests use (Unix socket only).
# usage: test-postgres.sh start|stop DIR PORT
# As root, PostgreSQL refuses to run, so its binaries run as the `postgres` user.
set -euo pipefail
action=$1 dir=$2 port=$3
bin=/usr/lib/postgresql/15/bin

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$action" in
  start)
    if [ "$(id -u)" -eq 0 ]; then
      install -d -o postgres -g postgres -m 700 "$dir"
      install -d -o postgres -g postgres -m 755 "$dir/run"
    else
      install -d -m 700 "$dir"; install -d -m 755 "$dir/run"
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
    fi
    if ! as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/data/server.log" -w -t 60 \
        -o "-p $port -k $dir/run -c listen_addresses='' -c max_connections=300 -c fsync=on" start >/dev/null
    fi
    echo "test PostgreSQL ready: host=$dir/run port=$port"
    ;;
  stop)
    if [ -f "$dir/data/PG_VERSION" ]; then
      as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
  *) echo "usage: $0 start|stop DIR PORT" >&2; exit 2 ;;
esac
