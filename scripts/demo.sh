#!/usr/bin/env bash
# Walks one bill through the sandbox channel against a running unipayd, with curl and
# openssl only: create an app, create a bill (signed), long-poll it with the client token,
# pay it with a signed sandbox callback, and watch unipayd deliver it to a local game server.
# The game server listens on 127.0.0.1, so unipayd must run with --allow-private-delivery
# (scripts/run.sh --allow-private-delivery).
# usage: UNIPAY_ADMIN_TOKEN=... scripts/demo.sh [http://127.0.0.1:8080]
set -euo pipefail
base=${1:-http://127.0.0.1:8080}
admin=${UNIPAY_ADMIN_TOKEN:?set UNIPAY_ADMIN_TOKEN (scripts/run.sh prints it)}
game_port=${GAME_PORT:-19090}

if ! curl -fsS -o /dev/null "$base/healthz" 2>/dev/null; then
  echo "no unipayd answers at $base; start it first: scripts/run.sh --allow-private-delivery" >&2
  exit 1
fi

# A game server that acknowledges every delivery with 200 and prints what it got.
python3 - "$game_port" <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        print("game server got:", body.decode()[:160], "...", flush=True)
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
game_pid=$!
trap 'kill $game_pid 2>/dev/null' EXIT
sleep 0.5

json_field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d'+sys.argv[1]))" "$1"; }

# signed METHOD PATH BODY: an app request signed per docs/API.md
signed() {
  local method=$1 path=$2 body=${3:-} ts nonce hash sig
  ts=$(date +%s)
  nonce=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
  hash=$(printf '%s' "$body" | sha256sum | cut -d' ' -f1)
  sig=$(printf '%s\n%s\n%s\n%s\n%s' "$method" "$path" "$ts" "$nonce" "$hash" |
        openssl dgst -sha256 -hmac "$app_secret" | awk '{print $NF}')
  curl -sS -X "$method" "$base$path" -H "X-Unipay-App: $app_id" -H "X-Unipay-Timestamp: $ts" \
       -H "X-Unipay-Nonce: $nonce" -H "X-Unipay-Signature: $sig" ${body:+-d "$body"}
}

echo "1. create an app (admin API)"
sandbox_secret=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
app=$(curl -sS -X POST "$base/v1/admin/apps" -H "Authorization: Bearer $admin" \
  -d "{\"name\":\"demo\",\"delivery_url\":\"http://127.0.0.1:$game_port/deliver\",\"channels\":{\"sandbox\":{\"secret\":\"$sandbox_secret\"}}}")
if ! app_id=$(echo "$app" | json_field "['app']['app_id']" 2>/dev/null); then
  echo "   unipayd refused the app: $app" >&2
  case "$app" in
    *delivery_url*) echo "   the game server is on 127.0.0.1: restart unipayd with scripts/run.sh --allow-private-delivery" >&2 ;;
    *unauthorized*) echo "   check UNIPAY_ADMIN_TOKEN (scripts/run.sh prints it; also in var/admin-token)" >&2 ;;
  esac
  exit 1
fi
app_secret=$(echo "$app" | json_field "['secret']")
echo "   app_id=$app_id"

echo "2. the game server creates a bill (signed with the app secret)"
created=$(signed POST /v1/bills '{"user_id":"u1","item_id":"gem_pack","channel":"sandbox","amount":499,"currency":"USD","coins":50}')
bill_id=$(echo "$created" | json_field "['bill']['bill_id']")
token=$(echo "$created" | json_field "['client_token']")
echo "   bill_id=$bill_id state=$(echo "$created" | json_field "['bill']['state']")"

echo "3. the game client long-polls with its client token (waits until delivered)"
curl -sS "$base/v1/bills/$bill_id/result?timeout=30&until=delivered" -H "Authorization: Bearer $token" \
  > /tmp/unipay-demo-poll.json &
poll_pid=$!
sleep 0.5

echo "4. the sandbox provider reports the payment (signed callback)"
callback="{\"bill_id\":\"$bill_id\",\"trade_no\":\"T-$RANDOM$RANDOM\",\"status\":\"success\",\"amount\":499,\"currency\":\"USD\"}"
callback_sig=$(printf '%s' "$callback" | openssl dgst -sha256 -hmac "$sandbox_secret" | awk '{print $NF}')
echo "   provider got: $(curl -sS -X POST "$base/v1/callbacks/$app_id/sandbox" -H "X-Sandbox-Signature: $callback_sig" -d "$callback")"

wait $poll_pid
echo "5. the long poll answered: state=$(json_field "['bill']['state']" < /tmp/unipay-demo-poll.json)" \
     "timed_out=$(json_field "['timed_out']" < /tmp/unipay-demo-poll.json)"
