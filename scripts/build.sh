#!/usr/bin/env bash
# Configures and builds one build tree. usage: build.sh DIR [normal|asan|release] [targets...]
#   release: optimised unipayd for running; normal: tests at -O1 with assertions;
#   asan: AddressSanitizer + UBSan, libraries and unit/integration tests only.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1 kind=${2:-normal}
shift 2 || shift $#
jobs=$(nproc)

case "$kind" in
  release) flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  normal)  flags=(-DCMAKE_BUILD_TYPE= "-DCMAKE_CXX_FLAGS=-O1") ;;
  asan)    flags=(-DCMAKE_BUILD_TYPE= "-DCMAKE_CXX_FLAGS=-O1 -g1" -DUNIPAY_SANITIZE=ON -DUNIPAY_BUILD_SERVER=OFF) ;;
  *) echo "unknown build kind: $kind" >&2; exit 2 ;;
esac

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake -S . -B "$dir" "${generator[@]}" "${flags[@]}" >/dev/null
fi
if [ $# -gt 0 ]; then
  cmake --build "$dir" -j "$jobs" --target "$@"
else
  cmake --build "$dir" -j "$jobs"
fi
