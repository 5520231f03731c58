#!/bin/sh
# npm test: the unit project and the lab project (vitest.config.ts) at once, each its own vitest.
# The lab project is mostly waiting on the network; the unit project is mostly CPU; together they
# take about as long as the lab alone. The lab's output streams; the unit project's is printed
# whole when it is done, and the last lines say how each went.
# With arguments (npm test -- FILE...), it is plain `vitest run` on them.
set -u

if [ "$#" -gt 0 ]; then
  exec vitest run "$@"
fi

unit_log=$(mktemp)
trap 'rm -f "$unit_log"' EXIT INT TERM

vitest run --project unit >"$unit_log" 2>&1 &
unit_pid=$!

vitest run --project lab
lab_rc=$?

unit_rc=0
wait "$unit_pid" || unit_rc=$?
echo
echo "=== unit project (ran beside the lab) ==="
cat "$unit_log"

echo "npm test: unit project exit $unit_rc, lab project exit $lab_rc"
[ "$unit_rc" -eq 0 ] && [ "$lab_rc" -eq 0 ]
