#!/usr/bin/env bash
# One command to try unipay on a fresh Debian 12 machine: installs what is missing, builds
# unipayd, and runs it on its embedded PostgreSQL (under ./var) at http://127.0.0.1:8080.
# Extra arguments go to `unipayd serve` (e.g. --listen 127.0.0.1:9090). A game server on this
# machine (scripts/demo.sh starts one on 127.0.0.1) needs --allow-private-delivery: by default
# unipayd refuses delivery URLs on loopback and private addresses.
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
# The hint below follows the flag and the variable (a --config file may also set it).
allow_private=${UNIPAY_ALLOW_PRIVATE_DELIVERY:-0}
for arg in "$@"; do
  case "$arg" in --allow-private-delivery) allow_private=1 ;; --allow-private-delivery=*) allow_private=${arg#*=} ;; esac
done
case "${allow_private,,}" in 1 | true | yes) allow_private=1 ;; *) allow_private= ;; esac
if [ -z "$allow_private" ]; then
  echo "delivery URLs on loopback or private addresses are refused; for a game server on this machine"
  echo "(scripts/demo.sh), start with: scripts/run.sh --allow-private-delivery"
else
  echo "delivery URLs may point at this machine and private networks (--allow-private-delivery)"
fi
echo "walk one bill through: UNIPAY_ADMIN_TOKEN=\$(cat var/admin-token) scripts/demo.sh   (see README.md)"
exec build/unipayd serve "$@"
