#!/usr/bin/env bash
# npm run migration:generate -- migrations/<Name>
# Applies the existing migrations to a scratch schema, lets TypeORM diff the entities against it
# (ormconfig.ts), then rewrites the new migration to use the configured schema and JSON type.
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: npm run migration:generate -- migrations/<Name>}"
eval "$(node scripts/local-services.js up)"
scratch="geo_gen_$$"
export DB_SCHEMA="$scratch" USE_JSONB=true DB_COMPAT_MODE=false
cleanup() { node -e '
  const { Client } = require("pg"); const c = new Client({ connectionString: process.env.DATABASE_URL });
  c.connect().then(() => c.query(`DROP SCHEMA IF EXISTS "${process.argv[1]}" CASCADE`)).finally(() => c.end());
' "$scratch"; }
trap cleanup EXIT
node -e '
  const { Client } = require("pg"); const c = new Client({ connectionString: process.env.DATABASE_URL });
  c.connect().then(() => c.query(`CREATE SCHEMA "${process.argv[1]}"`)).finally(() => c.end());
' "$scratch"
npx typeorm-ts-node-commonjs -d ormconfig.ts migration:run >/dev/null
before=$(ls migrations)
npx typeorm-ts-node-commonjs -d ormconfig.ts migration:generate "$name"
new=$(comm -13 <(echo "$before") <(ls migrations) | head -n 1)
[ -n "$new" ] || exit 0
npx ts-node --transpile-only scripts/parametrize-migration.ts "migrations/$new" "$scratch"
npx eslint --fix "migrations/$new" migrations/index.ts >/dev/null 2>&1 || true
echo "Read migrations/$new before you commit it."
