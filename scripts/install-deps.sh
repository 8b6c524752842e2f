#!/usr/bin/env bash
# Installs the Debian 12 packages unipay needs to build, run and test.
# Idempotent: does nothing when every package is already installed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git curl
  libcaf-dev libboost1.81-dev libsimdjson-dev libssl-dev libpq-dev
  postgresql libspdlog-dev libfmt-dev libtomlplusplus-dev libcli11-dev
  libgtest-dev librapidcheck-dev python3
  # scripts/format.sh (run by scripts/test.sh): the house style, this exact version
  clang-format-14
  # scripts/cluster.sh and the failover test (docs/DEPLOYMENT.md): real HA software
  haproxy patroni etcd-server etcd-client
  # unipay-bench's peer mode (scripts/bench-peer.sh, docs/BENCHMARKS.md): the seeds' design in
  # Python (../shared/peers/seed_design_peer.py) on its own stack; not needed by the server
  python3-tornado python3-psycopg2
  # the performance breakdown (docs/BENCHMARKS.md "Performance"): profiles and syscall counts
  linux-perf strace
  # unipayd's allocator (docs/DEPLOYMENT.md "Allocator"): returns memory after a burst
  libjemalloc-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
