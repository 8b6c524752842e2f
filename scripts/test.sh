#!/usr/bin/env bash
# One command to run every test on a fresh Debian 12 machine: installs what is missing,
# checks that the C++ sources are in the house style (scripts/format.sh), builds, and runs
# unit, integration and end-to-end tests (ctest starts the PostgreSQL the tests need and
# stops it), then unipayd in the Release configuration (warnings are errors: the -O3 build
# must stay warning-free too), then the unit and integration tests again under ASan + UBSan.
# The failover test (label `ha`, about 2 minutes, its own Patroni cluster) runs on demand:
# `cd build-test && ctest -L ha` (docs/DEPLOYMENT.md).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/install-deps.sh

echo "== format (.clang-format, clang-format 14)"
bash scripts/format.sh check

echo "== build (tests)"
bash scripts/build.sh build-test normal
echo "== unit, integration and end-to-end tests"
(cd build-test && ctest --output-on-failure --timeout 900 -j 2 -LE ha)

echo "== build (unipayd, Release, warnings are errors)"
bash scripts/build.sh build-release release-strict unipayd

echo "== build (ASan + UBSan)"
bash scripts/build.sh build-asan asan
echo "== unit and integration tests under sanitizers"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure --timeout 900 -L "unit|integration")

echo "all tests passed in $(( $(date +%s) - start )) s"
