/**
 * Turns a migration that `typeorm migration:generate` wrote against a scratch schema into one that
 * runs against the configured schema and JSON type (see src/core/database/migration-context.ts),
 * and registers it in migrations/index.ts.
 *
 *   ts-node scripts/parametrize-migration.ts <migration file> <scratch schema>
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export function parametrize(source: string, scratchSchema: string): string {
  let out = source
    .split(`"${scratchSchema}".`)
    .join('${s}.')
    // JSON columns are generated as jsonb (USE_JSONB=true) and follow the switch at run time.
    .replace(/(" )jsonb( |,|\)|`)/g, '$1${json}$2')
    .replace(/^import \{ MigrationInterface, QueryRunner \} from "typeorm";/m, [
      `import { MigrationInterface, QueryRunner } from 'typeorm';`,
      `import { migrationContext } from '../src/core/database/migration-context';`,
    ].join('\n'));
  out = out.replace(
    /(public async (?:up|down)\(queryRunner: QueryRunner\): Promise<void> \{\n)/g,
    '$1        const { s, json } = migrationContext(queryRunner);\n',
  );
  // Drop the destructuring where a body does not use one of the names (the linter refuses unused locals).
  out = out.replace(/ {8}const \{ s, json \} = migrationContext\(queryRunner\);\n([\s\S]*?\n {4}\})/g, (_m, body: string) => {
    const names = ['s', 'json'].filter((n) => body.includes('${' + n + '}'));
    return names.length ? `        const { ${names.join(', ')} } = migrationContext(queryRunner);\n${body}` : body;
  });
  return out;
}

function register(file: string): void {
  const index = join(dirname(file), 'index.ts');
  const module = basename(file, '.ts');
  const className = /export class (\w+)/.exec(readFileSync(file, 'utf8'))?.[1];
  if (!className) throw new Error(`no migration class in ${file}`);
  let src = readFileSync(index, 'utf8');
  // After the last import, so that imports stay in migration order.
  const imports = [...src.matchAll(/^import .*;\n/gm)];
  const at = (imports[imports.length - 1]?.index ?? 0) + (imports[imports.length - 1]?.[0].length ?? 0);
  src = `${src.slice(0, at)}import { ${className} } from './${module}';\n${src.slice(at)}`;
  src = src.replace(/= \[([^\]]*)\];/, (_m, list: string) => {
    const items = list.split(',').map((x) => x.trim()).filter(Boolean);
    items.push(className);
    return `= [\n  ${items.join(',\n  ')},\n];`;
  });
  writeFileSync(index, src);
}

if (require.main === module) {
  const [file, schema] = process.argv.slice(2);
  if (!file || !schema) {
    console.error('usage: parametrize-migration.ts <migration file> <scratch schema>');
    process.exit(2);
  }
  writeFileSync(file, parametrize(readFileSync(file, 'utf8'), schema));
  register(file);
  console.error(`parametrized ${file} and registered it in migrations/index.ts`);
}
