#!/usr/bin/env bash
# `npm run demo`: the product's main journey with the real engine.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/bootstrap-engine.sh
npx tsc -b
node dist/scripts/demo.js "$@"
