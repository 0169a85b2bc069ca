#!/usr/bin/env bash
# npm test: type-check, lint, then every unit and e2e suite against a real Postgres and Redis
# (found or started by scripts/local-services.js). Extra arguments go to Jest.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== type-check"; npx --no-install tsc -p tsconfig.json --noEmit
echo "== lint"; npx --no-install eslint --max-warnings 0 "{src,test,bench,migrations,scripts}/**/*.ts" ormconfig.ts

services=$(node scripts/local-services.js up)
eval "$services"
export TEST_DATABASE_URL="$DATABASE_URL"
trap 'node scripts/local-services.js down >/dev/null 2>&1 || true' EXIT

mkdir -p artefacts
status=0
npx --no-install jest --ci --json --outputFile=artefacts/jest-results.json "$@" || status=$?
# One plain closing line, whatever the runner printed above it.
node -e '
  const r = require("./artefacts/jest-results.json");
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' 2>/dev/null || echo "tests: 0 passed, 1 failed"
exit $status
