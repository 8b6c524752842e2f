#!/usr/bin/env bash
# A highly available unipay on one machine, loopback only (docs/DEPLOYMENT.md):
#   etcd (one member) ← Patroni × 2 → PostgreSQL 15 primary + synchronous standby
#   3 unipayd nodes, connected by a libpq multi-host URL (target_session_attrs=read-write)
#   HAProxy in front of the nodes (health check /readyz), and a second HAProxy route to
#   whichever PostgreSQL Patroni says is the primary (for psql and tools).
#
# usage: scripts/cluster.sh up|down|status
# Settings (environment; defaults in brackets):
#   CLUSTER_DIR        state directory: data, configs, logs, pids [/tmp/unipay-cluster]
#   CLUSTER_BASE_PORT  first of the ports used, base+0 … base+99 [18000]
#   CLUSTER_UNIPAYD    the unipayd binary [build/unipayd, built in Release when missing]
#   CLUSTER_NODE_ARGS  extra flags for every unipayd node (e.g. --allow-private-delivery)
#   CLUSTER_ADMIN_TOKEN  the admin token [random, kept in CLUSTER_DIR/admin-token]
#   CLUSTER_WATCH_PID  when set, a watchdog runs `down` once that process is gone (a test
#                      killed mid-run leaves nothing running)
# `up` writes CLUSTER_DIR/cluster.env (ports, pids, URLs) for scripts and tests. `down`
# stops everything `up` started (by the pids it recorded) and deletes CLUSTER_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dir=${CLUSTER_DIR:-${TMPDIR:-/tmp}/unipay-cluster}
base=${CLUSTER_BASE_PORT:-18000}
pg_bin=/usr/lib/postgresql/15/bin

etcd_port=$base etcd_peer_port=$((base + 1))
pg_port() { echo $((base + 10 * $1)); }        # pg1: base+10, pg2: base+20
rest_port() { echo $((base + 10 * $1 + 1)); }  # Patroni REST API next to it
node_port() { echo $((base + 80 + $1)); }      # unipayd nodes: base+81 … base+83
lb_port=$((base + 80)) pg_lb_port=$((base + 90)) stats_port=$((base + 91))
nodes=3

log() { echo "cluster: $*" >&2; }
die() { log "$*"; exit 1; }

# PostgreSQL refuses to run as root: Patroni (which runs it) runs as `postgres` then.
pg_user=()
[ "$(id -u)" -ne 0 ] || pg_user=(setpriv --reuid=postgres --regid=postgres --init-groups --)
as_pg() { "${pg_user[@]}" "$@"; }
pg_owned_dir() {
  if [ "$(id -u)" -eq 0 ]; then install -d -o postgres -g postgres -m 700 "$1"; else install -d -m 700 "$1"; fi
}

# Starts a command in its own session, detached, output to a log; records its pid.
spawn() {
  local name=$1
  shift
  setsid "$@" >"$dir/log/$name.log" 2>&1 </dev/null &
  echo $! >"$dir/pid/$name"
}

# The logs' last lines on stderr: `down` deletes $dir, so a failed start must say why itself.
show_log_tails() {
  local f
  for f in "$dir"/log/*.log; do
    [ -s "$f" ] || continue
    log "--- last lines of $f"
    tail -n 15 "$f" >&2
  done
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { show_log_tails; die "$what not ready within ${seconds} s (logs in $dir/log)"; }
    sleep 0.2
  done
}

http_ok() { curl -fsS -o /dev/null --max-time 2 "$1"; }

start_etcd() {
  install -d -m 700 "$dir/etcd"
  spawn etcd etcd --name e1 --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster "e1=http://127.0.0.1:$etcd_peer_port" --initial-cluster-state new
  wait_for 30 etcd http_ok "http://127.0.0.1:$etcd_port/health"
}

# Patroni's settings for member $1. loop_wait 1 s and primary_start_timeout 0: a crashed
# primary is failed over at once instead of restarted in place (what the failover test
# measures); synchronous_mode: a commit is acknowledged only once the standby has it.
patroni_config() {
  local i=$1 pgdir="$dir/pg$1"
  cat <<EOF
scope: unipay
name: pg$i
log: {level: INFO}
restapi: {listen: "127.0.0.1:$(rest_port "$i")", connect_address: "127.0.0.1:$(rest_port "$i")"}
etcd3: {hosts: "127.0.0.1:$etcd_port"}
bootstrap:
  dcs:
    ttl: 20
    loop_wait: 1
    retry_timeout: 5
    maximum_lag_on_failover: 1048576
    master_start_timeout: 0
    primary_start_timeout: 0
    synchronous_mode: true
    synchronous_mode_strict: false
    postgresql:
      use_pg_rewind: true
      parameters:
        max_connections: 300
        synchronous_commit: "on"
        wal_log_hints: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 256MB
  initdb: [{encoding: UTF8}, {locale: C.UTF-8}]
  pg_hba:
    - local all all trust
    - host replication replicator 127.0.0.1/32 trust
    - host all all 127.0.0.1/32 trust
postgresql:
  listen: "127.0.0.1:$(pg_port "$i")"
  connect_address: "127.0.0.1:$(pg_port "$i")"
  data_dir: $pgdir/data
  bin_dir: $pg_bin
  pgpass: $pgdir/pgpass
  authentication:
    superuser: {username: postgres, password: postgres}
    replication: {username: replicator, password: replicator}
    rewind: {username: postgres, password: postgres}
  parameters:
    unix_socket_directories: "$pgdir/run"
    fsync: "on"
EOF
}

start_patroni() {
  local i=$1
  pg_owned_dir "$dir/pg$i"
  pg_owned_dir "$dir/pg$i/run"
  patroni_config "$i" >"$dir/pg$i/patroni.yml"
  [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$dir/pg$i/patroni.yml"
  spawn "patroni$i" "${pg_user[@]}" patroni "$dir/pg$i/patroni.yml"
}

role_is() { [ "$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(rest_port "$1")/$2")" = 200 ]; }
sync_standby_ready() {
  as_pg "$pg_bin/psql" -h 127.0.0.1 -p "$(pg_port 1)" -U postgres -XAtc \
    "SELECT 1 FROM pg_stat_replication WHERE sync_state = 'sync'" | grep -q 1
}

database_url() {
  echo "postgresql://postgres@127.0.0.1:$(pg_port 1),127.0.0.1:$(pg_port 2)/unipay?target_session_attrs=read-write&connect_timeout=2"
}

write_haproxy_config() {
  {
    cat <<EOF
global
  maxconn 8000
defaults
  mode http
  timeout connect 2s
  # above the longest long poll (60 s), so the balancer never cuts a waiting client
  timeout client 90s
  timeout server 90s
  retries 2
  option redispatch
frontend unipay
  bind 127.0.0.1:$lb_port
  default_backend unipayd
backend unipayd
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 1s fall 2 rise 1
EOF
    for n in $(seq 1 $nodes); do echo "  server node$n 127.0.0.1:$(node_port "$n") check"; done
    cat <<EOF
listen postgres_primary
  mode tcp
  bind 127.0.0.1:$pg_lb_port
  timeout client 1h
  timeout server 1h
  option httpchk GET /primary
  http-check expect status 200
  default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions
  server pg1 127.0.0.1:$(pg_port 1) check port $(rest_port 1)
  server pg2 127.0.0.1:$(pg_port 2) check port $(rest_port 2)
listen stats
  bind 127.0.0.1:$stats_port
  stats enable
  stats uri /
EOF
  } >"$dir/haproxy.cfg"
}

start_watchdog() {
  [ -n "${CLUSTER_WATCH_PID:-}" ] || return 0
  # shellcheck disable=SC2016  # $1 and $2 are the inner shell's arguments
  spawn watchdog bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; exec bash "$2" down' \
    watchdog "$CLUSTER_WATCH_PID" "$root/scripts/cluster.sh"
}

unipayd_binary() {
  local bin=${CLUSTER_UNIPAYD:-$root/build/unipayd}
  if [ ! -x "$bin" ]; then
    [ -z "${CLUSTER_UNIPAYD:-}" ] || die "CLUSTER_UNIPAYD=$bin is not an executable"
    bash scripts/build.sh build release unipayd >&2
  fi
  echo "$bin"
}

start_node() {
  local n=$1 bin=$2 token=$3
  install -d -m 700 "$dir/node$n"
  # unipayd reads UNIPAY_* variables as settings: hand it none of the caller's.
  local -a clean_env
  mapfile -t clean_env < <(env | sed -n 's/^\(UNIPAY[A-Za-z0-9_]*\)=.*/-u\n\1/p')
  # shellcheck disable=SC2086  # CLUSTER_NODE_ARGS is a list of flags
  spawn "node$n" env "${clean_env[@]}" "$bin" serve --listen "127.0.0.1:$(node_port "$n")" \
    --database-url "$(database_url)" --data-dir "$dir/node$n" --admin-token "$token" \
    --node-id "node$n" --token-key-file "$dir/token.key" ${CLUSTER_NODE_ARGS:-}
  wait_for 60 "unipayd node$n" http_ok "http://127.0.0.1:$(node_port "$n")/readyz"
}

write_env() {
  local token=$1
  {
    echo "CLUSTER_URL=http://127.0.0.1:$lb_port"
    echo "CLUSTER_ADMIN_TOKEN=$token"
    echo "CLUSTER_DATABASE_URL='$(database_url)'"
    echo "CLUSTER_PG_PRIMARY_URL='postgresql://postgres@127.0.0.1:$pg_lb_port/unipay'"
    echo "CLUSTER_NODE_PORTS='$(for n in $(seq 1 $nodes); do printf '%s ' "$(node_port "$n")"; done)'"
    echo "CLUSTER_NODE_PIDS='$(for n in $(seq 1 $nodes); do printf '%s ' "$(cat "$dir/pid/node$n")"; done)'"
    echo "CLUSTER_PG_PORTS='$(pg_port 1) $(pg_port 2)'"
    echo "CLUSTER_REST_PORTS='$(rest_port 1) $(rest_port 2)'"
    echo "CLUSTER_STATS_URL=http://127.0.0.1:$stats_port/"
  } >"$dir/cluster.env"
}

up() {
  [ ! -e "$dir/pid" ] || die "$dir holds a cluster already: scripts/cluster.sh down first"
  for p in etcd patroni haproxy setpriv curl; do command -v $p >/dev/null || die "$p missing: run scripts/install-deps.sh"; done
  local bin
  bin=$(unipayd_binary)
  install -d -m 755 "$dir" "$dir/log" "$dir/pid"
  [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$dir"  # Patroni writes beside its data
  trap 'if [ -z "${up_done:-}" ]; then log "start failed; stopping what started"; down_all; fi' EXIT
  local token=${CLUSTER_ADMIN_TOKEN:-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}
  echo "$token" >"$dir/admin-token"
  # Every node seals the client tokens of idempotent answers with one key, so a replay
  # answered by another node than the first still carries a usable token.
  (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/token.key")
  log "etcd on 127.0.0.1:$etcd_port"
  start_etcd
  log "Patroni pg1 (PostgreSQL on 127.0.0.1:$(pg_port 1)) bootstraps the primary"
  start_patroni 1
  wait_for 90 "the primary (pg1)" role_is 1 primary
  log "Patroni pg2 (PostgreSQL on 127.0.0.1:$(pg_port 2)) clones it as the synchronous standby"
  start_patroni 2
  wait_for 120 "the synchronous standby (pg2)" sync_standby_ready
  as_pg "$pg_bin/psql" -h 127.0.0.1 -p "$(pg_port 1)" -U postgres -Xqc "CREATE DATABASE unipay" >/dev/null
  write_haproxy_config
  spawn haproxy haproxy -db -f "$dir/haproxy.cfg"
  for n in $(seq 1 $nodes); do
    log "unipayd node$n on 127.0.0.1:$(node_port "$n")"
    start_node "$n" "$bin" "$token"
  done
  wait_for 15 "HAProxy" http_ok "http://127.0.0.1:$lb_port/readyz"
  up_done=1
  write_env "$token"
  start_watchdog
  echo "unipay cluster up: http://127.0.0.1:$lb_port   admin token: $token"
  echo "  nodes: $(for n in $(seq 1 $nodes); do printf '127.0.0.1:%s ' "$(node_port "$n")"; done)"
  echo "  database: $(database_url)"
  echo "  settings and pids: $dir/cluster.env; logs: $dir/log; stop with: scripts/cluster.sh down"
}

# Stops one recorded process: SIGTERM, then SIGKILL after `grace` seconds.
stop_pid() {
  local name=$1 grace=$2 pid
  [ -f "$dir/pid/$name" ] || return 0
  pid=$(cat "$dir/pid/$name")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + grace))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/pid/$name"
}

# A postmaster Patroni could not stop (Patroni itself killed): stop it through its pid file.
stop_postmaster() {
  local data=$1
  [ -f "$data/postmaster.pid" ] || return 0
  as_pg "$pg_bin/pg_ctl" -D "$data" -m immediate -w -t 20 stop >/dev/null 2>&1 || true
}

down_all() {
  # The watchdog becomes `down` (exec) when its owner is gone: it must not stop itself.
  local watchdog
  watchdog=$(cat "$dir/pid/watchdog" 2>/dev/null || true)
  if [ -n "$watchdog" ] && [ "$watchdog" != "$$" ] && [ "$watchdog" != "$PPID" ]; then stop_pid watchdog 2; fi
  stop_pid haproxy 5
  for n in $(seq 1 $nodes); do stop_pid "node$n" 20; done
  stop_pid patroni2 30
  stop_pid patroni1 30
  stop_postmaster "$dir/pg2/data"
  stop_postmaster "$dir/pg1/data"
  stop_pid etcd 10
}

down() {
  [ -d "$dir" ] || { log "no cluster in $dir"; return 0; }
  down_all
  rm -rf "$dir"
  log "stopped; $dir removed"
}

status() {
  [ -f "$dir/cluster.env" ] || { echo "no cluster in $dir"; return 1; }
  cat "$dir/cluster.env"
  as_pg patronictl -c "$dir/pg1/patroni.yml" list 2>/dev/null || echo "patronictl: no answer"
  for n in $(seq 1 $nodes); do
    local code
    code=$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(node_port "$n")/readyz" || true)
    echo "node$n 127.0.0.1:$(node_port "$n") /readyz: $code"
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
