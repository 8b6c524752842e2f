#!/usr/bin/env bash
# Configures and builds one build tree. usage: build.sh DIR [normal|asan|release|release-strict] [targets...]
#   release: optimised unipayd for running (no tests; a compiler warning does not stop it);
#   normal: tests at -O1 with assertions; asan: AddressSanitizer + UBSan, libraries and
#   unit/integration tests only; release-strict: the Release configuration as CI builds it.
# Dev and CI builds (normal, asan, release-strict) treat warnings as errors (UNIPAY_WERROR).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1 kind=${2:-normal}
shift 2 || shift $#
jobs=$(nproc)

case "$kind" in
  release) flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF -DUNIPAY_WERROR=OFF) ;;
  release-strict) flags=(-DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF -DUNIPAY_WERROR=ON) ;;
  normal)  flags=(-DCMAKE_BUILD_TYPE= "-DCMAKE_CXX_FLAGS=-O1" -DUNIPAY_WERROR=ON) ;;
  asan)    flags=(-DCMAKE_BUILD_TYPE= "-DCMAKE_CXX_FLAGS=-O1 -g1" -DUNIPAY_SANITIZE=ON -DUNIPAY_BUILD_SERVER=OFF
                  -DUNIPAY_WERROR=ON) ;;
  *) echo "unknown build kind: $kind" >&2; exit 2 ;;
esac

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
# Configure a new tree, and an existing one whose cache predates UNIPAY_WERROR (or has it
# set otherwise), so a dev tree never silently loses -Werror.
want_werror=OFF
[[ " ${flags[*]} " == *" -DUNIPAY_WERROR=ON "* ]] && want_werror=ON
if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake -S . -B "$dir" "${generator[@]}" "${flags[@]}" >/dev/null
elif ! grep -q "^UNIPAY_WERROR:BOOL=$want_werror\$" "$dir/CMakeCache.txt"; then
  cmake -S . -B "$dir" -DUNIPAY_WERROR=$want_werror >/dev/null
fi
if [ $# -gt 0 ]; then
  cmake --build "$dir" -j "$jobs" --target "$@"
else
  cmake --build "$dir" -j "$jobs"
fi
