#!/usr/bin/env bash
# Writes artefacts/migrations.sql (full schema) and artefacts/compat.sql (compat mode's two tables)
# for the DBA: idempotent SQL for DB_SCHEMA (default geo_app) and USE_JSONB (default true).
# With DB_APP_ROLE set, both files end with the GRANTs that role needs (DML only).
# No database is needed. Usage: [DB_SCHEMA=...] [USE_JSONB=...] [DB_APP_ROLE=...] scripts/migrations-offline.sh [out dir]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f dist/scripts/offline-sql.js ] && [ dist/scripts/offline-sql.js -nt migrations/index.ts ]; then
  node dist/scripts/offline-sql.js "${1:-artefacts}"
else
  npx --no-install ts-node --transpile-only scripts/offline-sql.ts "${1:-artefacts}"
fi
