#!/usr/bin/env bash
# The same unipay-bench scenario against the seeds' design (the Python peer, Tornado +
# psycopg2 on its own embedded PostgreSQL) and against unipayd, in one session, then both
# figures side by side with the ratios unipayd ÷ peer (docs/BENCHMARKS.md, "Peer").
#
# usage: scripts/bench-peer.sh [--peer FILE] [--bench FILE] [--unipayd FILE] [--out DIR] [--] BENCH_ARGS...
#   BENCH_ARGS: the scenario, e.g. --scenario lifecycle --rate max --players 1024 --duration 20
#   (the peer implements sandbox and Core only: lifecycle and callbacks scenarios, sandbox channel).
#   --peer     default ../shared/peers/seed_design_peer.py from the repository
#   --bench    default build-bench/bench/unipay-bench; --unipayd default next to it (../unipayd)
#   --out DIR  keeps peer.json, unipayd.json and the peer's log there (default: a temporary dir)
# Exit status: the worse of the two bench runs (0 ok, 1 a correctness counter, 2 cannot run);
# 77 when the peer's Python packages are missing.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
peer="$repo/../shared/peers/seed_design_peer.py"
bench="$repo/build-bench/bench/unipay-bench"
unipayd=""
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --peer) peer=$2; shift 2 ;;
    --bench) bench=$2; shift 2 ;;
    --unipayd) unipayd=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[ -n "$unipayd" ] || unipayd="$(dirname "$bench")/../unipayd"
[ -f "$peer" ] || { echo "bench-peer: no peer at $peer (--peer FILE)" >&2; exit 2; }
[ -x "$bench" ] || { echo "bench-peer: no unipay-bench at $bench (--bench FILE)" >&2; exit 2; }
bench=$(realpath "$bench") unipayd=$(realpath "$unipayd")  # the bench starts unipayd from elsewhere
/usr/bin/python3 -c 'import tornado, psycopg2' 2>/dev/null ||
  { echo "bench-peer: the peer needs python3-tornado and python3-psycopg2 (scripts/install-deps.sh)" >&2; exit 77; }

[ -n "$out" ] || out=$(mktemp -d /tmp/unipay-bench-peer-XXXXXX)
mkdir -p "$out"
# The peer's cluster runs as `postgres` when we are root: its directory must be reachable.
data=$(mktemp -d /tmp/unipay-peer-data-XXXXXX)
chmod 755 "$data"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
peer_pid=""
stop_peer() {
  if [ -n "$peer_pid" ] && kill -0 "$peer_pid" 2>/dev/null; then
    kill -TERM "$peer_pid"
    # It stops its own cluster on SIGTERM (bounded: in-flight deliveries time out in 12 s).
    for _ in $(seq 60); do kill -0 "$peer_pid" 2>/dev/null || break; sleep 0.5; done
  fi
  peer_pid=""
  rm -rf "$data"
}
trap stop_peer EXIT

echo "== peer: $peer on 127.0.0.1:$port (data $data)" >&2
/usr/bin/python3 "$peer" serve --listen "127.0.0.1:$port" --data-dir "$data" --admin-token "$token" \
  --allow-private-delivery >"$out/peer.log" 2>&1 &
peer_pid=$!
for _ in $(seq 120); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  kill -0 "$peer_pid" 2>/dev/null || { echo "bench-peer: the peer exited:" >&2; tail -20 "$out/peer.log" >&2; exit 2; }
  sleep 0.5
done
curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { echo "bench-peer: the peer is not ready" >&2; exit 2; }
postmaster=$(head -1 "$data/pg/postmaster.pid")

status_peer=0
"$bench" --target "http://127.0.0.1:$port" --admin-token "$token" --server-pid "$peer_pid" \
  --postmaster-pid "$postmaster" --no-progress --json "$out/peer.json" "$@" || status_peer=$?
stop_peer

echo "== unipayd: $unipayd" >&2
status_unipayd=0
"$bench" --spawn --unipayd "$unipayd" --no-progress --json "$out/unipayd.json" "$@" || status_unipayd=$?

/usr/bin/python3 - "$out/peer.json" "$out/unipayd.json" <<'EOF'
import json, sys

def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None

peer, ours = load(sys.argv[1]), load(sys.argv[2])
if not peer or not ours:
    print("bench-peer: a run wrote no report (%s)" % ("peer" if not peer else "unipayd"))
    sys.exit(0)
op = "lifecycle" if "lifecycles_per_s" in ours["metrics"] else "callback"
names = [op + "s_per_s", "cpu_server_us_per_" + op, "cpu_postgres_us_per_" + op,
         "cpu_server_postgres_us_per_" + op, "cpu_bench_us_per_" + op]
counters = ["bills_lost", "deliveries_duplicated", "waiters_never_answered", "callbacks_wrongly_refused"]
print("\nsame session, %s (ratio = unipayd / peer: rates higher is better, CPU lower):" % op)
print("  %-34s %14s %14s %10s" % ("", "unipayd", "peer", "ratio"))
for n in names:
    a, b = ours["metrics"].get(n), peer["metrics"].get(n)
    ratio = ("%.2f" % (a / b)) if a is not None and b else "-"
    fmt = lambda v: "-" if v is None else "%.1f" % v
    print("  %-34s %14s %14s %10s" % (n, fmt(a), fmt(b), ratio))
for n in counters:
    print("  %-34s %14s %14s" % (n, ours["correctness"].get(n, "-"), peer["correctness"].get(n, "-")))
print("  reports: %s, %s" % (sys.argv[2], sys.argv[1]))
EOF
exit $((status_peer > status_unipayd ? status_peer : status_unipayd))
