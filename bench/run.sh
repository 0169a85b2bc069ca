#!/usr/bin/env bash
# npm run bench:<name> — finds or starts Postgres and Redis (scripts/local-services.js), then runs
# bench/<name>.ts. Figures are printed as JSON lines, the last one a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: bench/run.sh <name>}"
eval "$(node scripts/local-services.js up)"
trap 'node scripts/local-services.js down >/dev/null 2>&1 || true' EXIT
npx --no-install ts-node --transpile-only "bench/$name.ts"
