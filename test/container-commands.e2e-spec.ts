import { PATH_METADATA } from '@nestjs/common/constants';
import { getMetadataStorage } from 'class-validator';
import { ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative, resolve } from 'node:path';
import * as ts from 'typescript';
import { parse } from 'yaml';
import { IS_PUBLIC } from '../src/core/auth/public.decorator';
import { AppEnv } from '../src/core/config/env.validation';
import { HealthController } from '../src/health/health.controller';
import { MetricsController } from '../src/health/metrics.controller';
import { adminQuery, databaseUrl, dropRedisPrefix, dropSchema, uniqueSchema } from './helpers/schema';
import { freePort } from './helpers/free-port';

/**
 * docker/Dockerfile and the compose files run real commands. There is no Docker engine here, so
 * this file reads them (the `yaml` package; the Dockerfile by its instructions) and checks what
 * they name against the code: the entrypoints against what `npm run build` emits (TypeScript's own
 * output mapping of nest-cli.json's tsconfig), the variables against the configuration's
 * validation, the probes against the controllers, the volume against EXPORT_DIR, the migration
 * commands against package.json and the docs. Then it runs those exact commands, outside Docker,
 * from a directory laid out like the image's /app (dist, node_modules, package.json; no .env),
 * with the environment compose gives the containers (base + production file): the DBA's offline
 * SQL, TypeORM's CLI, the API with the image's HEALTHCHECK, the worker with its compose
 * healthcheck and metrics, an export written by the worker and served by the API through the
 * shared directory, and SIGTERM.
 *
 * test/process.e2e-spec.ts already starts src/main.ts and src/worker.ts (through ts-node) for
 * configuration errors, SIGTERM with a request in flight and JSON logs; this file does not repeat
 * those, it runs the compiled files the image runs.
 */

const ROOT = join(__dirname, '..');
const DOCKER = join(ROOT, 'docker');
const read = (p: string): string => readFileSync(join(ROOT, p), 'utf8');

/** The commands the Dockerfile's header and docs/OPERATIONS.md give for the image. */
const MIGRATION_RUN = 'node node_modules/typeorm/cli.js -d dist/ormconfig.js migration:run';
const OFFLINE_SQL = 'node dist/scripts/offline-sql.js /out';

// ---------------------------------------------------------------------------------------------
// The Dockerfile

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

/** Instructions by stage; line continuations joined, comments dropped, FROM's ARGs expanded. */
function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const lines = text.split('\n').filter((l) => !/^\s*#/.test(l));
  const logical: string[] = [];
  let current = '';
  for (const line of lines) {
    if (/\\\s*$/.test(line)) current += line.replace(/\\\s*$/, ' ');
    else {
      current += line;
      if (current.trim()) logical.push(current.trim().replace(/\s+/g, ' '));
      current = '';
    }
  }
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const l of logical) {
    const [, op, rest] = /^(\S+)\s*(.*)$/.exec(l) as RegExpExecArray;
    const upper = op.toUpperCase();
    if (upper === 'ARG' && stages.length === 0) {
      const [k, v] = rest.split('=');
      args[k] = v ?? '';
    } else if (upper === 'FROM') {
      const [image, , name] = rest.replace(/\$\{(\w+)\}/g, (_m, k: string) => args[k] ?? '').split(' ');
      stages.push({ image, name, instructions: [] });
    } else {
      stages[stages.length - 1].instructions.push({ op: upper, args: rest });
    }
  }
  return { args, stages };
}

const dockerfile = parseDockerfile(read('docker/Dockerfile'));
const finalStage = dockerfile.stages[dockerfile.stages.length - 1];
const stageNamed = (name: string): Stage => dockerfile.stages.find((s) => s.name === name) as Stage;
const ops = (stage: Stage, op: string): string[] => stage.instructions.filter((i) => i.op === op).map((i) => i.args);
const execForm = (args: string): string[] => JSON.parse(args) as string[];
/** A stage's WORKDIR, inherited from the stage it starts from. */
const workdir = (stage: Stage): string => ops(stage, 'WORKDIR').at(-1) ?? (dockerfile.stages.some((s) => s.name === stage.image) ? workdir(stageNamed(stage.image)) : '/');
const healthcheckCmd = (): string[] => execForm(ops(finalStage, 'HEALTHCHECK')[0].replace(/^.*?\bCMD\s+/, ''));

// ---------------------------------------------------------------------------------------------
// The compose files: parsed, interpolated and merged the way `docker compose` does it for the
// features these files use (merge keys, ${VAR:-default} / ${VAR:?message}, mapping merge,
// command and healthcheck.test replaced, ports/volumes/expose appended without duplicates,
// services outside the active profiles left out).

type Yaml = Record<string, unknown>;
interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  expose?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  profiles?: string[];
  stop_grace_period?: string;
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const isMap = (v: unknown): v is Yaml => typeof v === 'object' && v !== null && !Array.isArray(v);

function interpolate(value: string, vars: Record<string, string | undefined>): string {
  return value.replace(/\$\$|\$\{(\w+)(?:(:?[-?])([^}]*))?\}|\$(\w+)/g, (m, name: string, op: string | undefined, arg: string, bare: string) => {
    if (m === '$$') return '$';
    if (bare) return vars[bare] ?? '';
    const v = vars[name];
    const missing = op?.startsWith(':') ? v === undefined || v === '' : v === undefined;
    if (op?.endsWith('-')) return missing ? arg : (v as string);
    if (op?.endsWith('?')) {
      if (missing) throw new Error(`required variable ${name} is missing a value: ${arg}`);
      return v as string;
    }
    return v ?? '';
  });
}

function interpolateAll(node: unknown, vars: Record<string, string | undefined>): unknown {
  if (typeof node === 'string') return interpolate(node, vars);
  if (Array.isArray(node)) return node.map((n) => interpolateAll(n, vars));
  if (isMap(node)) return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateAll(v, vars)]));
  return node;
}

/** `environment` as a list (`KEY=value`) or a mapping, as a mapping of strings. */
function normalizeEnv(services: Yaml): void {
  for (const s of Object.values(services)) {
    if (!isMap(s) || s.environment === undefined) continue;
    const env = s.environment;
    s.environment = Array.isArray(env)
      ? Object.fromEntries((env as string[]).map((e) => [e.split('=')[0], e.split('=').slice(1).join('=')]))
      : Object.fromEntries(Object.entries(env as Yaml).map(([k, v]) => [k, v === null ? '' : String(v as string)]));
  }
}

const REPLACED = new Set(['command', 'entrypoint', 'test']);
function mergeNode(a: unknown, b: unknown, key = ''): unknown {
  if (isMap(a) && isMap(b)) {
    const out: Yaml = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in a ? mergeNode(a[k], v, k) : v;
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) return REPLACED.has(key) ? b : [...a, ...b.filter((x) => !a.some((y) => JSON.stringify(y) === JSON.stringify(x)))];
  return b;
}

function loadCompose(files: string[], vars: Record<string, string | undefined>, activeProfiles: string[] = []): Compose {
  let merged: Yaml = {};
  for (const f of files) {
    const doc = parse(readFileSync(join(DOCKER, f), 'utf8'), { merge: true }) as Yaml;
    const model = interpolateAll(Object.fromEntries(Object.entries(doc).filter(([k]) => !k.startsWith('x-'))), vars) as Yaml;
    normalizeEnv((model.services ?? {}) as Yaml);
    merged = mergeNode(merged, model) as Yaml;
  }
  const services = merged.services as Record<string, Service>;
  for (const [name, s] of Object.entries(services)) if (s.profiles && !s.profiles.some((p) => activeProfiles.includes(p))) delete services[name];
  return merged as unknown as Compose;
}

const BASE = 'docker-compose.yml';
const DEV = 'docker-compose.override.yml';
const PROD = 'docker-compose.prod.yml';
/** What an operator exports before `docker compose up` (only what the files require). */
const PROD_VARS = { DATABASE_URL: 'postgres://geo_app_rw:secret@db.internal:5432/geo?sslmode=require', API_KEYS: 'prod-key-0123456789' };
const dev = (): Compose => loadCompose([BASE, DEV], {});
const prod = (vars: Record<string, string | undefined> = PROD_VARS): Compose => loadCompose([BASE, PROD], vars);
const APP_SERVICES = ['api', 'worker'] as const;

/** The script a `node <script>` command runs. */
function scriptOf(command: string[] | undefined): string {
  expect(command?.[0]).toBe('node');
  return command?.[1] ?? '';
}

// ---------------------------------------------------------------------------------------------
// What `npm run build` emits: nest-cli.json's tsconfig, through TypeScript's own output mapping.

const nestCli = JSON.parse(read('nest-cli.json')) as {
  entryFile: string;
  sourceRoot: string;
  compilerOptions: { tsConfigPath: string; assets?: { include: string; outDir: string }[] };
};
const buildConfig = ts.getParsedCommandLineOfConfigFile(join(ROOT, nestCli.compilerOptions.tsConfigPath), {}, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (d) => {
    throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  },
}) as ts.ParsedCommandLine;
/** Compiled file (absolute) → its TypeScript source (relative to the repository). */
const emitted = new Map<string, string>(
  buildConfig.fileNames.flatMap((src) =>
    ts
      .getOutputFileNames(buildConfig, src, false)
      .filter((out) => out.endsWith('.js'))
      .map((out): [string, string] => [resolve(out), relative(ROOT, src)]),
  ),
);
/** nest-cli.json's assets (copied by `nest build`): `<sourceRoot>/<dir>/*.<ext>` → `<outDir>/<dir>/`. */
function assetCopies(): [string, string][] {
  return (nestCli.compilerOptions.assets ?? []).flatMap(({ include, outDir }) => {
    const m = /^(.*)\/\*(\.\w+)$/.exec(include);
    if (!m) throw new Error(`asset pattern ${include}: only "<dir>/*.<ext>" is understood here`);
    const dir = join(ROOT, nestCli.sourceRoot, m[1]);
    return readdirSync(dir)
      .filter((f) => f.endsWith(m[2]))
      .map((f): [string, string] => [join(dir, f), join(ROOT, outDir, m[1], f)]);
  });
}

/** Whether dist is missing or older than any file `npm run build` compiles or copies. */
function distIsStale(): boolean {
  const pairs: [string, string][] = [...[...emitted].map(([out, src]): [string, string] => [join(ROOT, src), out]), ...assetCopies()];
  return pairs.some(([src, out]) => !existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs);
}

// ---------------------------------------------------------------------------------------------
// Processes

interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  waitFor: (pattern: RegExp, ms?: number) => Promise<void>;
}

/** Runs a command as a container would (`node` is this Node.js), with exactly the given environment. */
function start(argv: string[], env: Record<string, string>, cwd: string): Proc {
  const [cmd, ...args] = argv;
  const child = spawn(cmd === 'node' ? process.execPath : cmd, args, { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const waitFor = async (pattern: RegExp, ms = 45_000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!pattern.test(out)) {
      if (child.exitCode !== null) throw new Error(`${argv.join(' ')} exited (${child.exitCode}) before ${pattern}:\n${out.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} from ${argv.join(' ')}:\n${out.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { child, output: () => out, exited, waitFor };
}

async function runToEnd(argv: string[], env: Record<string, string>, cwd: string): Promise<{ code: number | null; output: string }> {
  const p = start(argv, env, cwd);
  return { code: await p.exited, output: p.output() };
}

/** Every package a compiled file needs at run time, following its relative requires. */
function requiredPackages(entries: string[]): Map<string, string> {
  const seen = new Set<string>();
  const packages = new Map<string, string>();
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/require\(["']([^"']+)["']\)/g)) {
      if (spec.startsWith('.')) {
        const base = resolve(dirname(file), spec);
        const found = [base, `${base}.js`, join(base, 'index.js')].find((c) => existsSync(c) && statSync(c).isFile());
        if (!found) throw new Error(`${relative(ROOT, file)} requires ${spec}, which dist does not have`);
        if (found.endsWith('.js')) walk(found);
      } else if (!spec.startsWith('node:') && !builtinModules.includes(spec.split('/')[0])) {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        if (!packages.has(name)) packages.set(name, relative(ROOT, file));
      }
    }
  };
  entries.forEach(walk);
  return packages;
}

// ---------------------------------------------------------------------------------------------

describe('docker/Dockerfile', () => {
  it('builds with `npm run build` from every folder the build includes, on a current Node LTS slim image', () => {
    expect(['22', '24']).toContain(dockerfile.args.NODE_VERSION);
    const bases = dockerfile.stages.filter((s) => !dockerfile.stages.some((t) => t.name === s.image));
    expect(bases.length).toBeGreaterThanOrEqual(2);
    for (const s of bases) expect(s.image).toMatch(new RegExp(`^node:${dockerfile.args.NODE_VERSION}-[a-z]+-slim$`));
    const build = stageNamed('build');
    expect(ops(build, 'RUN').join(' && ')).toMatch(/^npm run build\b/);
    // The build stage gets every top-level path tsconfig.build.json compiles (else the image's
    // build would differ from `npm run build` here), and nest-cli.json and the tsconfigs.
    const copied = [...dockerfile.stages.flatMap((s) => ops(s, 'COPY'))].filter((c) => !c.startsWith('--from')).flatMap((c) => c.split(' ').slice(0, -1));
    const roots = new Set(buildConfig.fileNames.map((f) => relative(ROOT, f).split(posix.sep)[0]));
    for (const r of [...roots, 'nest-cli.json', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json']) expect(copied).toContain(r);
  });

  it('installs production dependencies only in the final stage, with dist from the build, as a non-root user under tini', () => {
    const runs = ops(finalStage, 'RUN').join('\n');
    expect(runs).toMatch(/npm ci --omit=dev\b/);
    expect(runs).not.toMatch(/npm (ci|install)(?![^\n]*--omit=dev)/);
    expect(ops(finalStage, 'COPY')).toContain(`--from=build ${workdir(stageNamed('build'))}/dist ./dist`);
    const user = ops(finalStage, 'USER').at(-1) ?? 'root';
    expect(user.split(':')[0]).not.toMatch(/^(root|0)$/);
    expect(execForm(ops(finalStage, 'ENTRYPOINT')[0])[0]).toMatch(/\/tini$/);
    expect(ops(finalStage, 'ENV').join(' ')).toMatch(/NODE_ENV=production/);
    expect(ops(finalStage, 'EXPOSE').join(' ').split(' ')).toEqual(expect.arrayContaining(['3000', String(new AppEnv().METRICS_PORT)]));
  });

  it("HEALTHCHECK probes an open route of the API on PORT that needs neither a key nor the /api/v1 prefix", () => {
    const [node, flag, script] = healthcheckCmd();
    expect([node, flag]).toEqual(['node', '-e']);
    expect(script).toContain('process.env.PORT');
    const path = /'(\/[a-z]+)'/.exec(script)?.[1];
    expect(path).toBe('/healthz');
    const route = Reflect.getMetadata(PATH_METADATA, HealthController.prototype.healthz) as string;
    expect(`/${route}`).toBe(path);
    expect(Reflect.getMetadata(IS_PUBLIC, HealthController)).toBe(true);
    expect(Reflect.getMetadata(PATH_METADATA, HealthController)).toBe('/');
  });

  it('CMD runs the API entrypoint that `npm run build` emits, the same as compose and nest-cli.json', () => {
    const cmd = execForm(ops(finalStage, 'CMD')[0]);
    const script = scriptOf(cmd);
    expect(emitted.get(resolve(ROOT, script))).toBe(join('src', 'main.ts'));
    expect(script).toBe(`${relative(ROOT, resolve(ROOT, buildConfig.options.outDir as string))}/${nestCli.entryFile}.js`);
    expect(dev().services.api.command).toEqual(cmd);
    expect(prod().services.api.command).toEqual(cmd);
  });
});

describe('docker/docker-compose*.yml', () => {
  const known = new Set(getMetadataStorage().getTargetValidationMetadatas(AppEnv, '', true, false).map((m) => m.propertyName));
  const variants = (): [string, Compose][] => [
    ['base', loadCompose([BASE], {})],
    ['development', dev()],
    ['production', prod()],
  ];

  it('api and worker are the one image built from docker/Dockerfile, running the entrypoints `npm run build` emits', () => {
    for (const [, c] of variants()) {
      for (const name of APP_SERVICES) {
        expect(c.services[name].build).toEqual({ context: '..', dockerfile: 'docker/Dockerfile' });
        expect(c.services[name].image).toBe(c.services.api.image);
      }
      expect(emitted.get(resolve(ROOT, scriptOf(c.services.api.command)))).toBe(join('src', 'main.ts'));
      expect(emitted.get(resolve(ROOT, scriptOf(c.services.worker.command)))).toBe(join('src', 'worker.ts'));
    }
  });

  it('give the app containers only variables the configuration validates', () => {
    expect(known.size).toBeGreaterThan(50);
    for (const [variant, c] of variants()) {
      for (const name of APP_SERVICES) {
        // NODE_OPTIONS is Node's own (the worker's heap limit).
        const unknown = Object.keys(c.services[name].environment ?? {}).filter((k) => !known.has(k) && k !== 'NODE_OPTIONS');
        expect({ variant, service: name, unknown }).toEqual({ variant, service: name, unknown: [] });
      }
    }
  });

  it('give the worker a heap limit (its memory stays flat) and the API none (it parses whole spreadsheets)', () => {
    for (const [variant, c] of variants()) {
      expect({ variant, options: c.services.worker.environment?.NODE_OPTIONS }).toEqual({ variant, options: expect.stringMatching(/^--max-old-space-size=\d+$/) });
      expect({ variant, options: c.services.api.environment?.NODE_OPTIONS }).toEqual({ variant, options: undefined });
      // The rest of the worker's environment is the shared one.
      expect(c.services.worker.environment).toMatchObject({ ...c.services.api.environment });
    }
  });

  it('mount one named volume at the EXPORT_DIR of both api and worker, created writable for the image user', () => {
    const dir = `${workdir(finalStage)}/var/exports`;
    expect(ops(finalStage, 'RUN').join('\n')).toMatch(/mkdir -p var\/exports && chown -R node:node var/);
    expect(ops(finalStage, 'USER').at(-1)).toMatch(/^(node|1000)(:|$)/);
    for (const [, c] of variants()) {
      expect(Object.keys(c.volumes ?? {})).toContain('exports');
      for (const name of APP_SERVICES) {
        const s = c.services[name];
        const exportDir = posix.resolve(workdir(finalStage), s.environment?.EXPORT_DIR ?? new AppEnv().EXPORT_DIR);
        expect(exportDir).toBe(dir);
        expect(s.volumes).toContain(`exports:${exportDir}`);
      }
    }
  });

  it('development: the local postgres, waited for, with migrations applied at start', () => {
    const c = dev();
    for (const name of APP_SERVICES) {
      const s = c.services[name];
      expect(s.environment?.DB_APPLY_MIGRATIONS).toBe('true');
      expect(s.environment?.DATABASE_URL).toMatch(/@postgres:5432\//);
      expect(s.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
      expect(s.environment?.API_KEYS.length).toBeGreaterThanOrEqual(8);
    }
  });

  it('production: no postgres container, the external DATABASE_URL and API_KEYS required, no migrations from the app', () => {
    const c = prod();
    expect(Object.keys(c.services).sort()).toEqual(['api', 'redis', 'worker']);
    for (const name of APP_SERVICES) {
      const s = c.services[name];
      expect(s.environment).toMatchObject({ DB_APPLY_MIGRATIONS: 'false', DATABASE_URL: PROD_VARS.DATABASE_URL, API_KEYS: PROD_VARS.API_KEYS });
      expect(Object.keys(s.depends_on ?? {})).toEqual(['redis']);
    }
    expect(() => prod({ API_KEYS: PROD_VARS.API_KEYS })).toThrow(/DATABASE_URL/);
    expect(() => prod({ DATABASE_URL: PROD_VARS.DATABASE_URL })).toThrow(/API_KEYS/);
    // Without either file the app refuses to start (no DATABASE_URL, no key) instead of running on defaults.
    const base = loadCompose([BASE], {});
    expect(base.services.api.environment).toMatchObject({ DATABASE_URL: '', API_KEYS: '', DB_APPLY_MIGRATIONS: 'false' });
  });

  it('wait for healthy dependencies, probe the worker on METRICS_PORT which it exposes, and outwait the shutdown drain', () => {
    for (const [, c] of variants()) {
      for (const [name, s] of Object.entries(c.services)) {
        for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
          expect({ name, dep, condition }).toEqual({ name, dep, condition: 'service_healthy' });
          expect(c.services[dep].healthcheck?.test?.length).toBeGreaterThan(0);
        }
      }
      const worker = c.services.worker;
      const [kind, node, flag, script] = worker.healthcheck?.test ?? [];
      expect([kind, node, flag]).toEqual(['CMD', 'node', '-e']);
      expect(script).toContain('process.env.METRICS_PORT');
      expect(script).toContain("'/metrics'");
      expect(worker.expose).toContain(worker.environment?.METRICS_PORT);
      expect(c.services.api.healthcheck).toBeUndefined(); // the image's HEALTHCHECK
      for (const name of APP_SERVICES) {
        const s = c.services[name];
        const grace = Number(/^(\d+)s$/.exec(s.stop_grace_period ?? '')?.[1]) * 1000;
        expect(grace).toBeGreaterThan(Number(s.environment?.SHUTDOWN_TIMEOUT_MS ?? new AppEnv().SHUTDOWN_TIMEOUT_MS));
      }
    }
    expect(prod().services.redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect((prod().services.redis.command ?? []).join(' ')).toMatch(/--maxmemory-policy noeviction/);
  });

  it('name migration commands that exist: package.json scripts for development, and the image commands the docs give', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['migration:run']).toMatch(/typeorm-ts-node-commonjs -d ormconfig\.ts migration:run/);
    expect(scripts['migrations:offline']).toBeDefined();
    expect(read('docker/Dockerfile')).toContain(MIGRATION_RUN);
    expect(read('docker/Dockerfile')).toContain(OFFLINE_SQL);
    expect(read('docker/docker-compose.prod.yml')).toContain(OFFLINE_SQL);
    expect(read('docs/OPERATIONS.md')).toContain(MIGRATION_RUN);
    expect(read('docs/OPERATIONS.md')).toContain(OFFLINE_SQL);
    // Both compiled scripts come from sources the build includes.
    expect(emitted.get(join(ROOT, 'dist', 'ormconfig.js'))).toBe('ormconfig.ts');
    expect(emitted.get(join(ROOT, 'dist', 'scripts', 'offline-sql.js'))).toBe(join('scripts', 'offline-sql.ts'));
  });
});

describe('the image commands, run outside Docker', () => {
  const schema = uniqueSchema(__filename);
  const prefix = `test-${schema}`;
  const apiKey = 'container-test-key-0123';
  let app: string; // stands for the image's /app
  let out: string; // stands for the DBA's artefacts volume
  let ports: { api: number; metrics: number };
  let api: Proc | undefined;
  let worker: Proc | undefined;
  let offline: { code: number | null; output: string };
  let cli: { code: number | null; output: string };

  /** What compose gives a container (base + production file), with what differs outside Docker. */
  const containerEnv = (service: 'api' | 'worker'): Record<string, string> => {
    const env = prod({ DATABASE_URL: databaseUrl(), API_KEYS: apiKey, OPENAI_API_KEY: 'sk-not-called-by-this-test' }).services[service].environment ?? {};
    return {
      ...env,
      // compose's network names and the volume's path inside the container:
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      EXPORT_DIR: join(app, relative(workdir(finalStage), env.EXPORT_DIR)),
      // one machine for both processes and the other test files:
      HOST: '127.0.0.1',
      PORT: String(ports.api),
      METRICS_PORT: String(ports.metrics),
      DB_SCHEMA: schema,
      QUEUE_PREFIX: prefix,
    };
  };
  const get = (path: string, port = ports.api): Promise<Response> => fetch(`http://127.0.0.1:${port}${path}`, { headers: { 'X-API-Key': apiKey } });
  const post = (path: string, body: unknown): Promise<Response> =>
    fetch(`http://127.0.0.1:${ports.api}/api/v1${path}`, { method: 'POST', headers: { 'X-API-Key': apiKey, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    if (distIsStale()) {
      const build = await runToEnd(['npm', 'run', 'build'], { HOME: process.env.HOME ?? '/root' }, ROOT);
      if (build.code !== 0) throw new Error(`npm run build failed:\n${build.output.slice(-3000)}`);
    }
    // /app in the image: package.json, node_modules (production ones there), dist; no sources, no .env.
    app = mkdtempSync(join(tmpdir(), 'geo-image-app-'));
    out = mkdtempSync(join(tmpdir(), 'geo-image-out-'));
    symlinkSync(join(ROOT, 'dist'), join(app, 'dist'));
    symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'));
    copyFileSync(join(ROOT, 'package.json'), join(app, 'package.json'));
    mkdirSync(join(app, 'var', 'exports'), { recursive: true });
    ports = { api: await freePort(), metrics: await freePort() };

    // The DBA's step: the offline SQL from the image, applied by psql (here: the same SQL through pg).
    const sqlEnv = { DB_SCHEMA: schema, USE_JSONB: containerEnv('api').USE_JSONB };
    offline = await runToEnd(OFFLINE_SQL.replace('/out', out).split(' '), sqlEnv, app);
    if (offline.code === 0) await adminQuery(readFileSync(join(out, 'migrations.sql'), 'utf8'));
    cli = await runToEnd(MIGRATION_RUN.split(' '), { DATABASE_URL: databaseUrl(), DB_SCHEMA: schema }, app);

    const { api: apiCmd, worker: workerCmd } = prod().services;
    api = start(apiCmd.command ?? [], containerEnv('api'), app);
    worker = start(workerCmd.command ?? [], containerEnv('worker'), app);
    await Promise.all([api.waitFor(/API listening/), worker.waitFor(/worker metrics on/)]);
  }, 300_000);

  afterAll(async () => {
    for (const p of [api, worker]) if (p && p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all([api?.exited, worker?.exited]);
    await dropSchema(schema);
    await dropRedisPrefix(prefix);
    for (const d of [app, out]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('dist holds every file the commands run, and they need production dependencies only', () => {
    const scripts = [scriptOf(prod().services.api.command), scriptOf(prod().services.worker.command), 'dist/ormconfig.js', 'dist/scripts/offline-sql.js'];
    for (const [, target] of assetCopies()) expect(existsSync(target)).toBe(true);
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean }> };
    const needed = requiredPackages(scripts.map((s) => join(ROOT, s)));
    expect(needed.size).toBeGreaterThan(10);
    const notInstalled = [...needed].filter(([name]) => !lock.packages[`node_modules/${name}`] || lock.packages[`node_modules/${name}`].dev).map(([name, by]) => `${name} (required by ${by})`);
    expect(notInstalled).toEqual([]); // each would be missing after `npm ci --omit=dev`
    expect(existsSync(join(app, 'node_modules', 'typeorm', 'cli.js'))).toBe(true);
    expect(lock.packages['node_modules/typeorm'].dev).toBeUndefined();
  });

  it("the DBA's offline SQL comes from the image command, and TypeORM's CLI from the image then finds nothing pending", () => {
    expect(offline).toMatchObject({ code: 0 });
    expect(offline.output).toMatch(/wrote .*migrations\.sql/);
    expect(cli.output).toMatch(/No migrations are pending/);
    expect(cli.code).toBe(0);
  });

  it("the API (compose's command and environment) passes the image's HEALTHCHECK, then /readyz and /metrics answer", async () => {
    const env = containerEnv('api');
    expect(env.DB_APPLY_MIGRATIONS).toBe('false');
    const check = await runToEnd(healthcheckCmd(), { PORT: env.PORT }, app);
    expect(check).toEqual({ code: 0, output: '' });
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', checks: { db: 'up', redis: 'up', migrations: 'up', queues: 'up' } });
    const metrics = await get('/metrics');
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('geo_http_request_duration_seconds');
    expect(Reflect.getMetadata(PATH_METADATA, MetricsController.prototype.metricsText)).toBe('metrics');
    // The same probe fails where nothing answers, so it is not vacuous.
    expect((await runToEnd(healthcheckCmd(), { PORT: String(await freePort()) }, app)).code).toBe(1);
  });

  it("the worker passes its compose healthcheck and serves Prometheus metrics on METRICS_PORT", async () => {
    const [, ...probe] = prod().services.worker.healthcheck?.test ?? [];
    const check = await runToEnd(probe, { METRICS_PORT: String(ports.metrics) }, app);
    expect(check).toEqual({ code: 0, output: '' });
    const metrics = await get('/metrics', ports.metrics);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toContain('geo_queue_jobs');
    expect(text).toContain('geo_job_duration_seconds');
    expect(worker?.output()).not.toMatch(/API listening/);
  });

  it('an export job written by the worker is served by the API from the shared EXPORT_DIR', async () => {
    const campaign = (await (await post('/campaigns', { name: `container check ${schema}`, product_name: 'Acme CRM' })).json()) as { id: string };
    const runRes = await post('/runs', { campaign_id: campaign.id, label: 'container check', providers: [{ provider: 'openai', model: 'gpt-5-mini' }] });
    expect(runRes.status).toBe(201);
    const run = (await runRes.json()) as { id: string };
    const created = await post('/exports', { run_id: run.id, format: 'csv' });
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    let job: { status: string } = { status: 'queued' };
    for (let i = 0; i < 200 && ['queued', 'running'].includes(job.status); i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await (await get(`/api/v1/exports/${id}`)).json()) as { status: string };
    }
    expect(job).toMatchObject({ status: 'succeeded' });
    expect(readdirSync(containerEnv('worker').EXPORT_DIR)).toContain(`${id}.csv`);
    const file = await get(`/api/v1/exports/${id}/file`);
    expect(file.status).toBe(200);
    expect((await file.text()).split('\n')[0]).toMatch(/run_id/);
  });

  it('both exit 0 on SIGTERM, within the stop grace period compose gives them', async () => {
    const grace = Number(/^(\d+)s$/.exec(prod().services.api.stop_grace_period ?? '')?.[1]) * 1000;
    const started = Date.now();
    api?.child.kill('SIGTERM');
    worker?.child.kill('SIGTERM');
    expect(await Promise.all([api?.exited, worker?.exited])).toEqual([0, 0]);
    expect(Date.now() - started).toBeLessThan(grace);
    expect(api?.output()).toMatch(/api: shutdown complete/);
    expect(worker?.output()).toMatch(/worker: shutdown complete/);
  });
});
