#!/usr/bin/env bash
# One command to try unipay on a fresh Debian 12 machine: installs what is missing, builds
# unipayd, and runs it on its embedded PostgreSQL (under ./var) at http://127.0.0.1:8080.
# Extra arguments go to `unipayd serve` (e.g. --listen 127.0.0.1:9090).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh build release unipayd

if [ -z "${UNIPAY_ADMIN_TOKEN:-}" ]; then
  token_file=var/admin-token
  mkdir -p var
  [ -s "$token_file" ] || head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$token_file"
  UNIPAY_ADMIN_TOKEN=$(cat "$token_file")
  export UNIPAY_ADMIN_TOKEN
fi
echo "admin token: $UNIPAY_ADMIN_TOKEN   (also in var/admin-token; set UNIPAY_ADMIN_TOKEN to choose one)"
echo "create an app: build/unipayd app create --name demo --delivery-url http://127.0.0.1:9000/deliver"
exec build/unipayd serve "$@"
