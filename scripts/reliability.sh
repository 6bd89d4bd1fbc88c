#!/usr/bin/env bash
# `npm run test:reliability`: installs the engine if needed, compiles, and runs the reliability
# suites (faults, crash recovery, secret scan, bad input, sandbox isolation; loopback only).
# Ends with one line `reliability: faults=… stages=… reruns=… crashes=… duplicates=… leaks=… invalid=…/… owned=…/…`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/bootstrap-engine.sh
npx tsc -b
node dist/scripts/reliability.js "$@"
