#!/usr/bin/env bash
# The C++ sources in the house style (.clang-format), with Debian 12's clang-format 14 (the
# version pinned here: another version formats some lines differently).
# usage: format.sh check   fails and lists the files that differ (scripts/test.sh runs this)
#        format.sh fix     rewrites them in place
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-check}
tool=clang-format-14
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h')
case "$mode" in
  fix) "$tool" -i "${files[@]}" ;;
  check)
    # one process for every file: its complaints name the files ("path:line:col: error: ...")
    if ! out=$("$tool" --dry-run --Werror "${files[@]}" 2>&1); then
      printf 'not in the house style (run scripts/format.sh fix):\n' >&2
      grep -o '^[^:]*:[0-9]*:[0-9]*: error' <<<"$out" | cut -d: -f1 | sort -u | sed 's/^/  /' >&2
      exit 1
    fi
    echo "format: ${#files[@]} files in the house style"
    ;;
  *) echo "usage: $0 check|fix" >&2; exit 2 ;;
esac
