import { getMetadataStorage } from 'class-validator';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppEnv } from './env.validation';

describe('.env.example', () => {
  it('documents every variable the app reads', () => {
    const variables = new Set(getMetadataStorage().getTargetValidationMetadatas(AppEnv, '', true, false).map((m) => m.propertyName));
    const example = readFileSync(join(__dirname, '..', '..', '..', '.env.example'), 'utf8');
    const documented = new Set([...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    expect(variables.size).toBeGreaterThan(30);
    expect([...variables].filter((v) => !documented.has(v))).toEqual([]);
    expect([...documented].filter((v) => !variables.has(v))).toEqual([]);
  });
});
