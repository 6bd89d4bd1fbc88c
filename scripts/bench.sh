#!/usr/bin/env bash
# `npm run bench`: scale benchmark of the root program against the throttled sandbox (docs/benchmark.md).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/bootstrap-engine.sh
npx tsc -b
node dist/scripts/bench.js "$@"
