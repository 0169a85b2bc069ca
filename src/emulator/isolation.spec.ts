import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The emulator stands in for the providers in demos, tests and benchmarks: production code never loads it. */
describe('emulator isolation', () => {
  it('no file of the API or the worker imports src/emulator', () => {
    const src = join(__dirname, '..');
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) {
          if (path !== __dirname) walk(path);
        } else if (name.endsWith('.ts') && !name.endsWith('.spec.ts')) {
          if (/from ['"][./]*(\.\.\/)*emulator\//.test(readFileSync(path, 'utf8'))) offenders.push(relative(src, path));
        }
      }
    };
    walk(src);
    expect(offenders).toEqual([]);
  });
});
