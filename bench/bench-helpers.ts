import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { adminQuery, dropRedisPrefix } from '../test/helpers/schema';

export const ROOT = join(__dirname, '..');
export const API_KEY = 'bench-key-0123456789';

/**
 * Compiles the app (tsconfig.build.json, as `dist/` is built in production) into a bench's own
 * directory, with the assets nest-cli.json copies; dist/ and the other benches' builds are left
 * alone. tsc emits even when it reports type errors: they go to stderr (stdout carries the bench's
 * JSON lines) and the bench goes on with what was emitted, unless `entry` is missing. With
 * BENCH_SKIP_BUILD=1 an existing build is reused (answers null).
 */
export function compileApp(outDir: string, entry: string): { ms: number; tsc_exit: number | null } | null {
  if (process.env.BENCH_SKIP_BUILD === '1' && existsSync(join(outDir, entry))) return null;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', outDir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.stdout?.length) process.stderr.write(r.stdout);
  if (!existsSync(join(outDir, entry))) throw new Error(`tsc emitted no ${entry} (exit ${r.status}); run the bench with ts-node instead`);
  cpSync(join(ROOT, 'src', 'ingest', 'templates'), join(outDir, 'src', 'ingest', 'templates'), { recursive: true });
  return { ms: Math.round(performance.now() - t0), tsc_exit: r.status };
}

export function emit(obj: Record<string, unknown>): void {
  console.log(JSON.stringify(obj));
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Runs SQL on the bench's database (the same helper the e2e tests use, without their "test" guard). */
export const sql = <T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> =>
  adminQuery<T>(query, params, process.env.DATABASE_URL);


/** Resident set size of a process, in MiB (Linux). */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export interface RunningApi {
  url: string;
  schema: string;
  child: ChildProcess;
  peakRssMiB: () => number;
  stop: () => Promise<void>;
}

/** The real API (src/main.ts) as its own process, on a fresh schema (or env.DB_SCHEMA, prepared), until stop(), which drops it. */
export async function startApi(env: Record<string, string> = {}): Promise<RunningApi> {
  const port = await freePort();
  const schema = env.DB_SCHEMA ?? `bench_${randomBytes(4).toString('hex')}`;
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(ROOT, 'src', 'main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DB_SCHEMA: schema,
      DB_APPLY_MIGRATIONS: 'true',
      QUEUE_PREFIX: `bench-${schema}`,
      API_KEYS: API_KEY,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) throw new Error(`the API exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('the API did not become ready within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  let peak = 0;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, rssMiB(child.pid!));
    } catch {
      // exited
    }
  }, 50);
  return {
    url,
    schema,
    child,
    peakRssMiB: () => peak,
    stop: async () => {
      clearInterval(sampler);
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await dropRedisPrefix(`bench-${schema}`);
    },
  };
}
