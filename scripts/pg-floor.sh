#!/usr/bin/env bash
# PostgreSQL's floor for one bill lifecycle: the rows a lifecycle must leave behind (its nonce,
# the bill, the paid and delivered updates, the delivery job and its removal, the callback's
# audit row, the delivery attempt record, two NOTIFYs) written as plain prepared statements by
# pgbench from one connection, N lifecycles per COMMIT, each transaction sent as one pipeline
# (--no-pipeline: a round trip per statement); synchronous_commit stays on. Prints lifecycles/s
# and the CPU all postgres processes spent per lifecycle, to set beside unipay-bench's
# cpu_postgres_us_per_lifecycle (docs/BENCHMARKS.md, "The floor, measured").
#
# usage: scripts/pg-floor.sh --conninfo "host=... port=... dbname=unipay user=postgres" \
#          --app APP_ID [--per-commit N] [--seconds S] [--create-only] [--no-pipeline]
#   --create-only: only the creation's rows (nonce and bill); a callback's floor (paid,
#   delivered and their rows) is the lifecycle's minus this.
#   APP_ID: an app of that database (the bills reference it). The rows written stay there
#   (bill ids 'floor_...'); run it on a scratch cluster, e.g. one kept by unipay-bench --keep-data.
# Needs pgbench (postgresql-client) and every postgres process of the host to be this cluster's.
set -euo pipefail
conninfo="" app="" per_commit=10 seconds=15 pipeline=1 create_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --conninfo) conninfo=$2; shift 2 ;;
    --app) app=$2; shift 2 ;;
    --per-commit) per_commit=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --no-pipeline) pipeline=0; shift ;;
    --create-only) create_only=1; shift ;;
    *) echo "pg-floor: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$conninfo" ] && [ -n "$app" ] || { echo "pg-floor: --conninfo and --app are required" >&2; exit 2; }
# The app id goes into the SQL text as a literal: only an id's characters are accepted.
[[ "$app" =~ ^[A-Za-z0-9_-]{1,64}$ ]] || { echo "pg-floor: --app must be an app id ([A-Za-z0-9_-], 1..64)" >&2; exit 2; }
[[ "$per_commit" =~ ^[1-9][0-9]{0,3}$ ]] || { echo "pg-floor: --per-commit must be 1..9999" >&2; exit 2; }
[[ "$seconds" =~ ^[1-9][0-9]{0,4}$ ]] || { echo "pg-floor: --seconds must be 1..99999" >&2; exit 2; }

script=$(mktemp /tmp/pg-floor-XXXXXX.sql)
trap 'rm -f "$script"' EXIT

# One lifecycle's statements for bill :idK. Ids rise with time like unipayd's, so inserts go
# to the right edge of each index as they do in service.
lifecycle() {
  local k=$1 id=":id$1"
  cat <<SQL
INSERT INTO nonces (app_id, nonce) VALUES ('$app', $id);
INSERT INTO bills (bill_id, app_id, user_id, item_id, channel, bill_type, amount_minor, currency, state, version, client_token_hash, created_at, expires_at, awaiting_payment) VALUES ($id, '$app', 'player$k', 'gem_pack', 'sandbox', 'purchase', 499, 'USD', 'created', 1, md5($id), now(), now() + interval '30 minutes', true);
SQL
  [ "$create_only" = 1 ] && return
  cat <<SQL
UPDATE bills SET state = 'paid', version = 2, provider_trade_no = 't' || $id, paid_at = now(), awaiting_payment = false WHERE bill_id = $id AND version = 1;
INSERT INTO jobs (kind, bill_id, attempt, next_attempt_at, lease_owner, lease_until) VALUES ('delivery', $id, 0, now(), 'floor', now() + interval '30 seconds');
INSERT INTO callbacks (app_id, channel, bill_id, body_sha256, verdict, detail) VALUES ('$app', 'sandbox', $id, md5($id), 'accepted', 'paid');
SELECT pg_notify('unipay_bill', $id || ' paid 2');
UPDATE bills SET state = 'delivered', version = 3, delivered_at = now() WHERE bill_id = $id AND version = 2;
DELETE FROM jobs WHERE kind = 'delivery' AND bill_id = $id;
INSERT INTO delivery_attempts (attempt_key, bill_id, delivery_id, attempt, node_id, started_at, http_status, latency_ms) VALUES ('a' || $id, $id, 'd' || $id, 1, 'floor', now(), 200, 0);
SELECT pg_notify('unipay_bill', $id || ' delivered 3');
SQL
}

{
  printf "SELECT "
  for k in $(seq 1 "$per_commit"); do
    [ "$k" -gt 1 ] && printf ", "
    printf "'floor_' || to_char(clock_timestamp(), 'YYYYMMDDHH24MISSUS') || '_%d_' || :client_id AS id%d" "$k" "$k"
  done
  printf ' \\gset\n'
  # The whole transaction in one round trip, as unipayd's writer pipelines its batch.
  if [ "$pipeline" = 1 ]; then printf '\\startpipeline\n'; fi
  echo "BEGIN;"
  for k in $(seq 1 "$per_commit"); do lifecycle "$k"; done
  echo "COMMIT;"
  if [ "$pipeline" = 1 ]; then printf '\\endpipeline\n'; fi
} > "$script"

# CPU seconds (user + system) of every process named postgres, with the reaped children's
# (the postmaster's cutime and cstime): pgbench's backend exits when pgbench ends.
postgres_cpu_s() {
  local ticks=0 f
  for f in /proc/[0-9]*/stat; do
    read -r line < "$f" 2>/dev/null || continue
    case "$line" in *"(postgres)"*) ;; *) continue ;; esac
    set -- ${line##*) }
    ticks=$((ticks + ${12} + ${13} + ${14} + ${15}))
  done
  echo "$ticks $(getconf CLK_TCK)" | awk '{ printf "%.2f", $1 / $2 }'
}

out=$(mktemp /tmp/pg-floor-XXXXXX.out)
trap 'rm -f "$script" "$out"' EXIT
before=$(postgres_cpu_s)
if ! pgbench -n -M prepared -c 1 -T "$seconds" -f "$script" "$conninfo" > "$out" 2>&1; then
  cat "$out" >&2
  echo "pg-floor: pgbench failed (is --app an app of that database?)" >&2
  exit 1
fi
sleep 0.5  # the postmaster reaps the backend
after=$(postgres_cpu_s)
tps=$(awk '/^tps = / { print $3 }' "$out")
what=lifecycle
[ "$create_only" = 1 ] && what="creation only (nonce and bill)"
awk -v what="$what" -v tps="$tps" -v n="$per_commit" -v s="$seconds" -v before="$before" -v after="$after" 'BEGIN {
  lps = tps * n; cpu = after - before
  printf "pg-floor: %s, %d lifecycles per COMMIT, %.0f lifecycles/s for %d s\n", what, n, lps, s
  printf "pg-floor: postgres CPU %.2f s, %.1f us per lifecycle\n", cpu, cpu * 1e6 / (lps * s)
}'
