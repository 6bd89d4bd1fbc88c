#!/usr/bin/env bash
# `npm test`: installs the engine if needed, compiles, and runs every mocha suite (unit and
# integration; integration suites start their own sandbox on 127.0.0.1). Ends with one line
# `tests: N passed, N failed` and fails on any failure or skipped test.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

bash scripts/bootstrap-engine.sh
npx tsc -b

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
if [ $# -eq 0 ]; then set -- "dist/tests/**/*.test.js"; fi
npx mocha "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

count() { grep -Eo "^ +[0-9]+ $1" "$log" | tail -n1 | grep -Eo '[0-9]+' || echo 0; }
passed=$(count passing)
failed=$(count failing)
skipped=$(count pending)
if [ "$skipped" -gt 0 ]; then
  echo "tests: $skipped skipped tests: this project runs every suite, remove the skip" >&2
  status=1
fi
if [ "$passed" -eq 0 ]; then
  echo "tests: no test ran" >&2
  status=1
fi
echo "tests: $passed passed, $failed failed"
exit "$status"
