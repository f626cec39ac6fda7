#!/usr/bin/env bash
# Runs every benchmark in tests/bench. Each prints one line per figure:
#   <name>: <value> <unit>, reference <value> <unit>, ratio <r> (goal >= <g>)
set -uo pipefail
cd "$(dirname "$0")"
[ -d build ] || ./setup.sh
cmake --build build
status=0
for b in build/tests/bench/bench_*; do
  [ -x "$b" ] || continue
  echo "--- $(basename "$b")"
  "$b" || status=1
done
exit $status
