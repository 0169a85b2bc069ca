/**
 * npm run bench:api — the API under concurrent load (docs/quality-bar.md, "API"): GET /runs/{id}
 * (the summary) and GET /runs/{id}/items?limit=50 (the first page) on a run of 100,000 items must
 * answer with p99 ≤ 50 ms at 200 concurrent connections, and serve 1,000 concurrent connections with
 * no errors, measured against a route that returns a constant, in the same run.
 *
 * The run is seeded straight into Postgres as bench/run-reads.ts seeds it (90% answered with a
 * ~1.6 KB answer, 2% failed, 8% queued; `VACUUM ANALYZE` afterwards). The real API (`src/main.ts`)
 * runs as its own process, compiled by default (tsc into .local/bench-build-api, as `dist/` runs in
 * production; dist/ itself is left alone), with the per-key rate limit off
 * (API_RATE_LIMIT_PER_MINUTE=0) and LOG_LEVEL=warn (so no line per request). autocannon, in this
 * process, keeps C connections busy (one request at a time each, keep-alive) for BENCH_WARMUP +
 * BENCH_DURATION seconds; only the last BENCH_DURATION seconds are measured (see measure()).
 * For every route and C it prints
 * requests/s, latency p50/p97.5/p99/max, errors, timeouts and non-2xx answers, the route's
 * throughput as a share of the constant route's (the mean of the constant route measured before
 * and after the DB routes at the same C), the API process's peak RSS and where the machine's CPU
 * went (API, this process, the API's Postgres backends, other Postgres, Redis, everything else).
 * Before each measurement it waits up to BENCH_QUIET_WAIT_S for other sessions to leave the
 * machine quiet and prints the load average (the machine is shared).
 *
 * The constant route is GET /api/v1/question-templates: it goes through the same middleware,
 * guards and interceptors as the DB routes (helmet, request id, metrics, API key) and answers a
 * list built from templates held in memory, with no database or Redis call.
 *
 * Then, once per mode, the summary's cache under load: how many times the summary figures were
 * computed during BENCH_STAMPEDE_S seconds at 200 connections (after BENCH_WARMUP seconds of the
 * same load), from Postgres' scan counters on the item tables (calibrated on uncached requests),
 * against the once a second the cache intends.
 *
 * Environment (defaults in brackets):
 *   BENCH_MODE          full | compat; unset = both, full first
 *   BENCH_ITEMS         items in the run [100000]
 *   BENCH_CONNECTIONS   [200,1000]
 *   BENCH_DURATION      measured seconds per route and C [15]
 *   BENCH_WARMUP        warm-up seconds before each, on the same connections [10]
 *   BENCH_ROUTES        constant,summary,items [all three]
 *   BENCH_QUIET_WAIT_S  [20]; 0 = do not wait
 *   BENCH_DRAIN_WAIT_S  [180]: before each measurement, the longest wait for the API and its
 *                       Postgres backends to finish what earlier (timed-out) requests left
 *   BENCH_API           compiled | ts-node [compiled]
 *   BENCH_SKIP_BUILD    1 = reuse .local/bench-build-api as it is
 *   BENCH_STAMPEDE_S    [10]; 0 = skip the summary-cache measurement
 *   BENCH_CPU_PROF      a directory: the API runs with --cpu-prof there, and each measurement's top
 *                       self-time functions and packages (its samples only) are printed. The
 *                       profiler slows the API: figures of such a run are marked `profiled`.
 *   BENCH_KEEP_SCHEMA   1 = keep the seeded schema (drop it by hand)
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { compatSql } from '../src/core/database/offline-sql';
import { dropRedisPrefix } from '../test/helpers/schema';
import { API_KEY, compileApp, emit, freePort, ROOT, sql } from './bench-helpers';
import { summarizeProfile } from './cpu-profile';
import { cmdline, cpuSnapshot, localPorts, type CpuSnapshot } from './proc-stats';

// autocannon ships no types; the part of its programmatic API used here.
interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  headers?: Record<string, string>;
  timeout?: number;
  pipelining?: number;
}
interface Histogram {
  average: number;
  mean: number;
  stddev: number;
  min: number;
  max: number;
  p50: number;
  p90: number;
  p97_5: number;
  p99: number;
  /** requests: completed requests; throughput: bytes. */
  total: number;
}
interface AutocannonResult {
  latency: Histogram;
  requests: Histogram;
  throughput: Histogram;
  errors: number;
  timeouts: number;
  non2xx: number;
  resets: number;
  duration: number;
  statusCodeStats: Record<string, { count: number }>;
  '2xx': number;
}
/** An EventEmitter that is also a promise of the result. */
interface AutocannonInstance extends PromiseLike<AutocannonResult> {
  on(event: 'response', listener: (client: unknown, statusCode: number, bytes: number, ms: number) => void): this;
  /** Connection errors, and timeouts ("request timed out"). */
  on(event: 'reqError', listener: (err: Error) => void): this;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- autocannon ships no types
const autocannon = require('autocannon') as (opts: AutocannonOptions) => AutocannonInstance;

type Mode = 'full' | 'compat';
type RouteName = 'constant' | 'summary' | 'items';

const list = (name: string, dflt: string): string[] =>
  (process.env[name] ?? dflt)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const MODES: Mode[] = process.env.BENCH_MODE === 'compat' ? ['compat'] : process.env.BENCH_MODE === 'full' ? ['full'] : ['full', 'compat'];
const N = Number(process.env.BENCH_ITEMS ?? 100_000);
const ANSWERED = Math.floor(N * 0.9);
const FAILED = Math.floor(N * 0.02);
const CONNECTIONS = list('BENCH_CONNECTIONS', '200,1000').map(Number);
const DURATION = Number(process.env.BENCH_DURATION ?? 15);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 10);
const ROUTES = list('BENCH_ROUTES', 'constant,summary,items') as RouteName[];
const QUIET_WAIT_S = Number(process.env.BENCH_QUIET_WAIT_S ?? 20);
const QUIET_CORES = 0.3;
const DRAIN_WAIT_S = Number(process.env.BENCH_DRAIN_WAIT_S ?? 180);
const STAMPEDE_S = Number(process.env.BENCH_STAMPEDE_S ?? 10);
const API_BUILD = process.env.BENCH_API === 'ts-node' ? 'ts-node' : 'compiled';
const BUILD_DIR = join(ROOT, '.local', 'bench-build-api');
const CPU_PROF = process.env.BENCH_CPU_PROF;
const CLK_TCK = 100;
const TARGET_P99_MS = 50;
/** pg_stat counters reach the shared view at most once a second while a backend is busy, and within 10 s once it is idle (PGSTAT_IDLE_INTERVAL). */
const PGSTAT_SETTLE_MS = 11_500;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;
const load1 = (): number[] => loadavg().map((x) => round(x, 2));

// ---------------------------------------------------------------------------------------------
// the API process

interface Api {
  child: ChildProcess;
  pid: number;
  url: string;
  schema: string;
  output: () => string;
  exited: Promise<void>;
}

function build(): void {
  if (API_BUILD !== 'compiled') return;
  const built = compileApp(BUILD_DIR, join('src', 'main.js'));
  if (built) emit({ step: 'build', api: 'compiled', out_dir: '.local/bench-build-api', ...built });
}

async function startApi(mode: Mode, schema: string): Promise<Api> {
  const port = await freePort();
  const args = API_BUILD === 'compiled' ? [join(BUILD_DIR, 'src', 'main.js')] : ['-r', 'ts-node/register/transpile-only', join(ROOT, 'src', 'main.ts')];
  if (CPU_PROF) {
    mkdirSync(CPU_PROF, { recursive: true });
    args.unshift('--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`, `--cpu-prof-name=api-${mode}-${schema}.cpuprofile`);
  }
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      API_KEYS: API_KEY,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      // The per-key limit (600 a minute by default) would answer 429 to a load test.
      API_RATE_LIMIT_PER_MINUTE: '0',
      DB_SCHEMA: schema,
      QUEUE_PREFIX: `bench-${schema}`,
      ...(mode === 'compat' ? { DB_COMPAT_MODE: 'true', DB_APPLY_MIGRATIONS: 'false' } : { DB_APPLY_MIGRATIONS: 'true' }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer): void => {
    out += d.toString();
    if (out.length > 256 * 1024) out = out.slice(-128 * 1024);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const api: Api = { child, pid: child.pid!, url: `http://127.0.0.1:${port}`, schema, output: () => out, exited };
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      if ((await fetch(`${api.url}/readyz`)).ok) return api;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) throw new Error(`the API exited (${child.exitCode}) before it was ready: ${out.slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`the API was not ready within 90 s: ${out.slice(-3000)}`);
    await sleep(200);
  }
}

async function stopApi(api: Api): Promise<void> {
  if (api.child.exitCode !== null || api.child.signalCode !== null) return;
  api.child.kill('SIGTERM');
  const timer = setTimeout(() => api.child.kill('SIGKILL'), 30_000);
  await api.exited;
  clearTimeout(timer);
}

function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** RSS of a process every 50 ms until stop(): its peak. */
function rssSampler(pid: number): { stop: () => number } {
  let peak = 0;
  const tick = (): void => {
    const v = procStatus(pid, 'VmRSS');
    if (Number.isFinite(v)) peak = Math.max(peak, v);
  };
  tick();
  const timer = setInterval(tick, 50);
  return {
    stop: () => {
      clearInterval(timer);
      tick();
      return round(peak, 0);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// seeding (as bench/run-reads.ts)

async function seed(mode: Mode, schema: string, campaignId: string, runId: string): Promise<void> {
  const s = `"${schema}"`;
  const q = await sql<{ id: string }>(mode === 'full' ? `SELECT id FROM ${s}.questions LIMIT 1` : `SELECT entity_id AS id FROM ${s}.events WHERE entity_type = 'question' LIMIT 1`);
  const questionId = q[0].id;
  const status = `CASE WHEN i <= ${ANSWERED} THEN 'succeeded' WHEN i <= ${ANSWERED + FAILED} THEN 'failed' ELSE 'queued' END`;
  const id = `('01a2' || lpad(to_hex(i), 28, '0'))::uuid`;
  const text = `'Acme CRM is a good choice for agencies; Globex is the other name here. ' || repeat('Agencies compare pipelines, reporting and price. ', 30) || ' token' || i`;
  if (mode === 'full') {
    await sql(
      `INSERT INTO ${s}.runs (id, campaign_id, label, provider_settings, samples, prompt_version, filters, status, total_items, started_at)
       VALUES ($1, $2, 'bench', '[{"provider":"openai","model":"gpt-5-mini","settings":{}}]', 1, 'v1', '{"topicIds":[],"personaIds":[]}', 'running', $3, now() - interval '10 minutes')`,
      [runId, campaignId, N],
    );
    await sql(
      `INSERT INTO ${s}.run_items (id, run_id, question_id, provider, model, setting_index, sample_index, idempotency_key, status, attempt_count, last_error, finished_at)
       SELECT ${id}, $1::uuid, $2::uuid, (ARRAY['openai','gemini','perplexity'])[1 + i % 3], 'm', 0, i, md5($1::uuid::text || i), ${status}, 1,
              CASE WHEN i > ${ANSWERED} AND i <= ${ANSWERED + FAILED} THEN 'server_error (HTTP 503): overloaded' END,
              CASE WHEN i <= ${ANSWERED + FAILED} THEN now() - (i % 600) * interval '1 second' END
       FROM generate_series(1, $3::int) i`,
      [runId, questionId, N],
    );
    await sql(
      `INSERT INTO ${s}.responses (id, run_item_id, run_id, provider, model, prompt_version, request_json, response_json, text, text_search, citations_json, token_usage_json,
         input_tokens, output_tokens, cost_usd, latency_ms, analysis, brand_mentioned, brand_rank, created_at)
       SELECT gen_random_uuid(), ${id}, $1, 'openai', 'm', 'v1', '{}', '{}', ${text}, to_tsvector('simple', ${text}),
              '[{"url":"https://acme.example/a","title":"A","domain":"acme.example","position":1}]', '{"input_tokens":120,"output_tokens":400}',
              120, 400, 0.0021, 500 + i % 700, '{"version":"v0","brand_mentioned":true,"brand_rank":1}', i % 3 <> 0, 1,
              now() - (i % 600) * interval '1 second'
       FROM generate_series(1, ${ANSWERED}) i`,
      [runId],
    );
    await vacuum(schema, ['run_items', 'responses']);
  } else {
    await sql(
      `INSERT INTO ${s}.events (id, entity_type, entity_id, parent_id, event_type, payload)
       VALUES (gen_random_uuid(), 'run', $1, $2, 'created', $3)`,
      [
        runId,
        campaignId,
        JSON.stringify({ id: runId, campaignId, label: 'bench', providerSettings: [{ provider: 'openai', model: 'gpt-5-mini', settings: {} }], samples: 1, promptVersion: 'v1', filters: { topicIds: [], personaIds: [] }, status: 'running', totalItems: N, scheduleId: null, createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(), startedAt: new Date(Date.now() - 600_000).toISOString(), finishedAt: null }),
      ],
    );
    await sql(
      `INSERT INTO ${s}.results (id, run_item_id, run_id, campaign_id, provider, model, status, cost_usd, last_error, finished_at, text_search, payload)
       SELECT ${id}, ${id}, $1::uuid, $2::uuid, (ARRAY['openai','gemini','perplexity'])[1 + i % 3], 'm', ${status},
         CASE WHEN i <= ${ANSWERED} THEN 0.0021 END,
         CASE WHEN i > ${ANSWERED} AND i <= ${ANSWERED + FAILED} THEN 'server_error (HTTP 503): overloaded' END,
         CASE WHEN i <= ${ANSWERED + FAILED} THEN now() - (i % 600) * interval '1 second' END,
         CASE WHEN i <= ${ANSWERED} THEN to_tsvector('simple', ${text}) END,
         jsonb_build_object('id', ${id}, 'runId', $1::uuid, 'campaignId', $2::uuid, 'questionId', $3::uuid, 'provider', 'openai', 'model', 'm',
           'settingIndex', 0, 'sampleIndex', i, 'idempotencyKey', md5($1::uuid::text || i), 'questionText', 'Which CRM?', 'topic', null, 'persona', null,
           'attemptCount', 1, 'lastError', CASE WHEN i > ${ANSWERED} AND i <= ${ANSWERED + FAILED} THEN 'server_error (HTTP 503): overloaded' END,
           'createdAt', now(), 'updatedAt', now(), 'startedAt', now(),
           'finishedAt', CASE WHEN i <= ${ANSWERED + FAILED} THEN to_json(now() - (i % 600) * interval '1 second')#>>'{}' END,
           'analysis', CASE WHEN i <= ${ANSWERED} THEN jsonb_build_object('version', 'v0', 'brand_mentioned', i % 3 <> 0, 'brand_rank', 1) END,
           'response', CASE WHEN i <= ${ANSWERED} THEN jsonb_build_object('text', ${text}, 'citations', '[]'::jsonb, 'usage', '{"input_tokens":120,"output_tokens":400}'::jsonb,
             'latency_ms', 500 + i % 700, 'cost_usd', 0.0021, 'cache_hit', false, 'created_at', now()) END)
       FROM generate_series(1, $4::int) i`,
      [runId, campaignId, questionId, N],
    );
    await vacuum(schema, ['results', 'events']);
  }
}

/**
 * VACUUM ANALYZE, as autovacuum would leave the tables: statistics, and the visibility map that
 * index-only scans need. VACUUM cannot mark a page all-visible while a transaction older than its
 * rows is open (the database is shared with other sessions), so it is repeated, up to a minute,
 * until at least 99% of each table's pages are; the share reached is printed.
 */
async function vacuum(schema: string, tables: string[]): Promise<void> {
  const share: Record<string, number> = {};
  for (let attempt = 1; ; attempt++) {
    for (const t of tables) await sql(`VACUUM ANALYZE "${schema}"."${t}"`);
    const rows = await sql<{ relname: string; v: number }>(
      `SELECT relname, CASE WHEN relpages = 0 THEN 1 ELSE relallvisible::float8 / relpages END AS v FROM pg_class WHERE relnamespace = $1::regnamespace AND relname = ANY($2)`,
      [schema, tables],
    );
    for (const r of rows) share[r.relname] = round(Number(r.v), 3);
    if (Object.values(share).every((v) => v >= 0.99) || attempt >= 20) break;
    await sleep(3000);
  }
  emit({ step: 'vacuum', schema, all_visible_share: share });
}

// ---------------------------------------------------------------------------------------------
// CPU accounting from /proc: who used the two cores during a window






type Cores = Record<'api' | 'load_generator' | 'postgres_api_backends' | 'postgres_other' | 'redis' | 'other', number>;

/** Cores used on average between two snapshots, by whom. `apiPorts`: the API's sockets (read during the window, while its pool is open). */
function cpuSplit(a: CpuSnapshot, b: CpuSnapshot, apiPid: number, apiPorts: Set<number>): { seconds: number; cores: Cores; machine_busy_cores: number; api_cpu_s: number } {
  const seconds = (b.at - a.at) / 1000;
  const cores: Cores = { api: 0, load_generator: 0, postgres_api_backends: 0, postgres_other: 0, redis: 0, other: 0 };
  let attributed = 0;
  for (const [pid, pb] of b.procs) {
    const pa = a.procs.get(pid);
    const ticks = pb.ticks - (pa && pa.comm === pb.comm ? pa.ticks : 0);
    if (ticks <= 0) continue;
    attributed += ticks;
    let who: keyof Cores = 'other';
    if (pid === apiPid) who = 'api';
    else if (pid === process.pid) who = 'load_generator';
    else if (pb.comm.startsWith('redis-server')) who = 'redis';
    else if (pb.comm === 'postgres') {
      const port = /\((\d+)\)/.exec(cmdline(pid));
      who = port && apiPorts.has(Number(port[1])) ? 'postgres_api_backends' : 'postgres_other';
    }
    cores[who] += ticks;
  }
  const busy = b.busy - a.busy;
  // Processes that started and ended within the window are seen by /proc/stat only.
  cores.other += Math.max(0, busy - attributed);
  const apiTicks = cores.api;
  for (const k of Object.keys(cores) as (keyof Cores)[]) cores[k] = round(cores[k] / CLK_TCK / seconds, 2);
  return { seconds: round(seconds, 2), cores, machine_busy_cores: round(busy / CLK_TCK / seconds, 2), api_cpu_s: round(apiTicks / CLK_TCK, 2) };
}

/** Waits (up to QUIET_WAIT_S) until processes other than the API and this one use ≤ 0.3 of a core; answers what it saw. */
async function waitForQuiet(api: Api): Promise<{ load_avg: number[]; other_cores: number; waited_s: number }> {
  const t0 = performance.now();
  for (;;) {
    const a = cpuSnapshot();
    await sleep(2000);
    const s = cpuSplit(a, cpuSnapshot(), api.pid, localPorts([api.pid]));
    const other = round(s.cores.other + s.cores.postgres_other + s.cores.redis + s.cores.postgres_api_backends, 2);
    const waited = (performance.now() - t0) / 1000;
    if (other <= QUIET_CORES || waited >= QUIET_WAIT_S) return { load_avg: load1(), other_cores: other, waited_s: Math.round(waited) };
  }
}

/**
 * Waits (up to DRAIN_WAIT_S) until the API and its Postgres backends are idle (≤ 0.05 of a core
 * together): requests a timed-out client gave up on are still served, and would weigh on the next
 * measurement.
 */
async function waitForDrain(api: Api): Promise<{ drained: boolean; drain_s: number }> {
  const t0 = performance.now();
  for (;;) {
    const a = cpuSnapshot();
    await sleep(1000);
    const s = cpuSplit(a, cpuSnapshot(), api.pid, localPorts([api.pid]));
    const busy = s.cores.api + s.cores.postgres_api_backends;
    const waited = (performance.now() - t0) / 1000;
    if (busy <= 0.05 || waited >= DRAIN_WAIT_S) return { drained: busy <= 0.05, drain_s: Math.round(waited) };
  }
}

const TCP_COUNTERS = ['ListenOverflows', 'ListenDrops', 'TCPSynRetrans', 'TCPTimeouts'] as const;

/** The kernel's TCP counters (machine-wide: other sessions' sockets count too). */
function tcpCounters(): Record<string, number> {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
  const out: Record<string, number> = {};
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i].startsWith('TcpExt:') || !lines[i + 1].startsWith('TcpExt:')) continue;
    const names = lines[i].split(/\s+/);
    const values = lines[i + 1].split(/\s+/).map(Number);
    names.forEach((n, j) => {
      if ((TCP_COUNTERS as readonly string[]).includes(n)) out[n] = values[j];
    });
    break;
  }
  return out;
}

/** The listen socket's accept backlog as the kernel has it (ss' Send-Q for a listener). */
function listenBacklog(url: string): number | null {
  const port = new URL(url).port;
  const r = spawnSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' });
  const f = (r.stdout ?? '').trim().split(/\s+/);
  return f.length > 2 ? Number(f[2]) : null;
}

// ---------------------------------------------------------------------------------------------
// measurements

interface Route {
  name: RouteName;
  path: string;
  /** What a correct answer looks like; checked once before the load. */
  check: (body: Record<string, unknown>) => string | null;
}

function routes(runId: string): Route[] {
  const all: Route[] = [
    { name: 'constant', path: '/api/v1/question-templates', check: (b) => (Array.isArray(b) && b.length > 0 ? null : 'not a list of templates') },
    {
      name: 'summary',
      path: `/api/v1/runs/${runId}`,
      check: (b) => ((b.counts as { total?: number } | undefined)?.total === N ? null : `counts.total is ${JSON.stringify((b.counts as { total?: number } | undefined)?.total)}, expected ${N}`),
    },
    {
      name: 'items',
      path: `/api/v1/runs/${runId}/items?limit=50`,
      check: (b) => ((b.items as unknown[] | undefined)?.length === 50 && b.total === N ? null : `items ${(b.items as unknown[] | undefined)?.length}, total ${String(b.total)}`),
    },
  ];
  return all.filter((r) => ROUTES.includes(r.name));
}

interface Measured {
  mode: Mode;
  route: RouteName;
  label: string;
  connections: number;
  req_s: number;
  p50_ms: number;
  p97_5_ms: number;
  p99_ms: number;
  max_ms: number;
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  status_codes: Record<string, number>;
  response_kb: number;
}

const windows: { label: string; fromUs: number; toUs: number }[] = [];

/** The p-th percentile of sorted values (nearest rank). */
function pct(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * One autocannon run of WARMUP + DURATION seconds on the same C connections. Node (libuv ≥ 1.45)
 * accepts one connection per event-loop turn, so on a busy API the C connections are established
 * over seconds; the warm-up absorbs that ramp, and the figures count only what happens in the
 * DURATION seconds after it: 2xx answers, their latency (from autocannon's per-response time),
 * errors and timeouts. The ramp is reported apart (connections answered by the end of the
 * warm-up, and when the last of the C got its first answer).
 */
async function measure(mode: Mode, api: Api, route: Route, connections: number, label: string): Promise<Measured> {
  const url = `${api.url}${route.path}`;
  const headers = { 'X-API-Key': API_KEY };
  const res = await fetch(url, { headers });
  const body = (await res.json()) as Record<string, unknown>;
  const problem = res.status !== 200 ? `HTTP ${res.status}: ${JSON.stringify(body).slice(0, 300)}` : route.check(body);
  if (problem) throw new Error(`${route.name}: ${problem}`);

  const drain = await waitForDrain(api);
  const quiet = await waitForQuiet(api);
  emit({ step: 'start', mode, route: route.name, label, connections, ...drain, ...quiet });

  const latencies: number[] = [];
  const perSecond: number[] = [];
  const statusCodes: Record<string, number> = {};
  const answered = new Set<unknown>();
  const warm = { ok: 0, errors: 0, timeouts: 0 };
  const meas = { ok: 0, other: 0, errors: 0, timeouts: 0, bytes: 0 };
  let allAnsweredS: number | null = null;
  let measuring = false;
  let rss: { stop: () => number } | undefined;
  let tcp0: Record<string, number> = {};
  let a: CpuSnapshot | undefined;
  let fromUs = 0;
  let ports = new Set<number>();
  let tMeasure = 0;

  const t0 = performance.now();
  const inst = autocannon({ url, connections, duration: WARMUP + DURATION, headers, timeout: 10 });
  inst.on('response', (client, status, bytes, ms) => {
    if (!answered.has(client)) {
      answered.add(client);
      if (answered.size === connections) allAnsweredS = round((performance.now() - t0) / 1000, 1);
    }
    const ok = status >= 200 && status < 300;
    if (!measuring) {
      if (ok) warm.ok++;
      return;
    }
    statusCodes[status] = (statusCodes[status] ?? 0) + 1;
    if (!ok) {
      meas.other++;
      return;
    }
    meas.ok++;
    meas.bytes += bytes;
    latencies.push(ms);
    const i = Math.floor((performance.now() - tMeasure) / 1000);
    while (perSecond.length <= i) perSecond.push(0);
    perSecond[i]++;
  });
  inst.on('reqError', (err) => {
    const timeout = /timed out/.test(err.message);
    const bucket = measuring ? meas : warm;
    if (timeout) bucket.timeouts++;
    else bucket.errors++;
  });
  const startMeasuring = setTimeout(() => {
    measuring = true;
    tMeasure = performance.now();
    rss = rssSampler(api.pid);
    tcp0 = tcpCounters();
    ports = localPorts([api.pid]);
    a = cpuSnapshot();
    fromUs = Number(process.hrtime.bigint() / 1000n);
  }, WARMUP * 1000);
  const portTimer = setInterval(() => {
    if (measuring) for (const p of localPorts([api.pid])) ports.add(p);
  }, 2000);
  const connectedAtWarmupEnd = { n: 0 };
  const snapshotWarm = setTimeout(() => (connectedAtWarmupEnd.n = answered.size), WARMUP * 1000);
  await inst;
  clearTimeout(startMeasuring);
  clearTimeout(snapshotWarm);
  clearInterval(portTimer);
  if (!measuring || !a || !rss) throw new Error('the run ended before its warm-up did');
  const seconds = (performance.now() - tMeasure) / 1000;
  const toUs = Number(process.hrtime.bigint() / 1000n);
  const b = cpuSnapshot();
  const tcp1 = tcpCounters();
  for (const p of localPorts([api.pid])) ports.add(p);
  const peak = rss.stop();
  windows.push({ label: `${mode} ${label} c=${connections}`, fromUs, toUs });
  const cpu = cpuSplit(a, b, api.pid, ports);
  latencies.sort((x, y) => x - y);
  const m: Measured = {
    mode,
    route: route.name,
    label,
    connections,
    req_s: round(meas.ok / seconds, 0),
    p50_ms: round(pct(latencies, 50), 0),
    p97_5_ms: round(pct(latencies, 97.5), 0),
    p99_ms: round(pct(latencies, 99), 0),
    max_ms: latencies.length ? round(latencies[latencies.length - 1], 0) : NaN,
    requests: meas.ok + meas.other,
    errors: meas.errors,
    timeouts: meas.timeouts,
    non2xx: meas.other,
    status_codes: statusCodes,
    response_kb: meas.ok ? round(meas.bytes / meas.ok / 1024, 1) : 0,
  };
  emit({
    step: 'measured',
    ...m,
    path: route.path,
    seconds: round(seconds, 2),
    warmup: { seconds: WARMUP, ok: warm.ok, errors: warm.errors, timeouts: warm.timeouts, connections_answered: connectedAtWarmupEnd.n, all_connections_answered_after_s: allAnsweredS },
    api_peak_rss_mib: peak,
    api_cores: cpu.cores.api,
    api_cpu_ms_per_request: meas.ok ? round((cpu.api_cpu_s * 1000) / meas.ok, 2) : null,
    postgres_cpu_ms_per_request: meas.ok ? round((cpu.cores.postgres_api_backends * cpu.seconds * 1000) / meas.ok, 2) : null,
    cpu,
    ok_per_second: perSecond,
    tcp_machine_wide: Object.fromEntries(TCP_COUNTERS.map((k) => [k, (tcp1[k] ?? 0) - (tcp0[k] ?? 0)])),
    ...(CPU_PROF ? { profiled: true } : {}),
  });
  return m;
}

/** Index and sequential scans of the item tables so far (the summary's figures read them; the run's own row does not). */
async function itemScans(mode: Mode, schema: string): Promise<number> {
  const tables = mode === 'full' ? ['run_items', 'responses'] : ['results'];
  const [r] = await sql<{ n: string }>(`SELECT sum(coalesce(seq_scan, 0) + coalesce(idx_scan, 0))::bigint AS n FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = ANY($2)`, [schema, tables]);
  return Number(r.n);
}

/**
 * How often the summary's figures are computed under load. First the scans of the item tables per
 * uncached summary (3 requests, the cache key deleted before each; the counters are read once the
 * API's backends have been idle long enough to flush them). Then 200 connections for
 * BENCH_WARMUP + STAMPEDE_S + 2 seconds, the counters read at BENCH_WARMUP and STAMPEDE_S later
 * (busy backends flush them once a second, so each end is ±1 s).
 */
async function summaryCache(mode: Mode, api: Api, runId: string): Promise<void> {
  const { default: Redis } = await import('ioredis');
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  try {
    const key = `bench-${api.schema}:run:${runId}:summary`;
    const url = `${api.url}/api/v1/runs/${runId}`;
    const headers = { 'X-API-Key': API_KEY };
    await waitForDrain(api);
    await sleep(PGSTAT_SETTLE_MS);
    const s0 = await itemScans(mode, api.schema);
    const CAL = 3;
    for (let i = 0; i < CAL; i++) {
      await redis.del(key);
      await (await fetch(url, { headers })).arrayBuffer();
    }
    await sleep(PGSTAT_SETTLE_MS);
    const perComputation = ((await itemScans(mode, api.schema)) - s0) / CAL;
    await waitForDrain(api);
    const quiet = await waitForQuiet(api);
    let ok = 0;
    const inst = autocannon({ url, connections: 200, duration: WARMUP + STAMPEDE_S + 2, headers, timeout: 10 });
    inst.on('response', (_c, status) => {
      if (status < 300) ok++;
    });
    await sleep(WARMUP * 1000);
    const [s2, ok2, t2] = [await itemScans(mode, api.schema), ok, performance.now()];
    await sleep(STAMPEDE_S * 1000);
    const [s3, ok3, t3] = [await itemScans(mode, api.schema), ok, performance.now()];
    await inst;
    const seconds = (t3 - t2) / 1000;
    const computations = perComputation > 0 ? (s3 - s2) / perComputation : NaN;
    emit({
      step: 'summary_cache',
      mode,
      connections: 200,
      seconds: round(seconds, 1),
      requests: ok3 - ok2,
      req_s: round((ok3 - ok2) / seconds, 0),
      load_avg: quiet.load_avg,
      scans_per_computation: round(perComputation, 1),
      computations: round(computations, 0),
      computations_per_second: round(computations / seconds, 1),
      intended_per_second: 1,
      share_of_requests_computed: round(computations / Math.max(1, ok3 - ok2), 3),
    });
  } finally {
    redis.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// CPU profiles (BENCH_CPU_PROF)


// ---------------------------------------------------------------------------------------------

/** What an interrupted bench must undo: the API process and the schema. */
let cleanup: (() => Promise<void>) | null = null;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    emit({ interrupted: signal });
    void (cleanup ?? (async () => undefined))().finally(() => process.exit(130));
  });
}

async function dropSchema(schema: string): Promise<void> {
  await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await dropRedisPrefix(`bench-${schema}`);
}

async function runMode(mode: Mode): Promise<Measured[]> {
  const schema = `bench_api_${randomUUID().slice(0, 8)}`;
  cleanup = () => dropSchema(schema);
  if (mode === 'compat') await sql(compatSql({ schema, useJsonb: true }));
  const api = await startApi(mode, schema);
  cleanup = async () => {
    await stopApi(api);
    await dropSchema(schema);
  };
  const out: Measured[] = [];
  try {
    emit({ step: 'setup', mode, schema, api: API_BUILD, cores: availableParallelism(), load_avg: load1(), listen_backlog: listenBacklog(api.url), somaxconn: Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8')) });
    const h = { 'X-API-Key': API_KEY, 'Content-Type': 'application/x-ndjson' };
    const imp = await fetch(`${api.url}/api/v1/question-sets:import`, { method: 'POST', headers: h, body: JSON.stringify({ campaign: 'Bench API', question: 'Which CRM?' }) });
    if (!imp.ok) throw new Error(`import: HTTP ${imp.status} ${await imp.text()}`);
    const campaigns = (await (await fetch(`${api.url}/api/v1/campaigns`, { headers: { 'X-API-Key': API_KEY } })).json()) as { items: { id: string }[] };
    const runId = randomUUID();
    const t0 = performance.now();
    await seed(mode, schema, campaigns.items[0].id, runId);
    emit({ step: 'seed', mode, items: N, answered: ANSWERED, run_id: runId, ms: Math.round(performance.now() - t0) });

    const rs = routes(runId);
    const constant = rs.find((r) => r.name === 'constant');
    const others = rs.filter((r) => r.name !== 'constant');
    for (const c of CONNECTIONS) {
      const here: Measured[] = [];
      // The constant route before and after the DB routes: their mean is the reference, their spread the drift.
      if (constant) here.push(await measure(mode, api, constant, c, 'constant'));
      for (const r of others) here.push(await measure(mode, api, r, c, r.name));
      if (constant && others.length) here.push(await measure(mode, api, constant, c, 'constant_after'));
      const refs = here.filter((m) => m.route === 'constant').map((m) => m.req_s);
      const ref = refs.length ? refs.reduce((x, y) => x + y, 0) / refs.length : NaN;
      for (const m of here) {
        const line = {
          step: 'vs_constant',
          mode,
          route: m.label,
          connections: c,
          req_s: m.req_s,
          constant_req_s: round(ref, 0),
          ratio: round(m.req_s / ref, 3),
          p99_ms: m.p99_ms,
          target:
            m.route === 'constant'
              ? null
              : c <= 200
                ? `p99 ≤ ${TARGET_P99_MS} ms: ${m.req_s > 0 && m.p99_ms <= TARGET_P99_MS ? 'met' : m.req_s > 0 ? `not met (${round(m.p99_ms / TARGET_P99_MS, 1)}×)` : 'not met (no answer)'}`
                : `no errors: ${m.req_s > 0 && m.errors + m.timeouts + m.non2xx === 0 ? 'met' : 'not met'}`,
        };
        emit(line);
      }
      out.push(...here);
    }
    if (STAMPEDE_S > 0 && others.some((r) => r.name === 'summary')) await summaryCache(mode, api, runId);
    emit({ step: 'api_peak', mode, api_vm_hwm_mib: round(procStatus(api.pid, 'VmHWM'), 0) });
  } finally {
    cleanup = null;
    await stopApi(api);
    if (process.env.BENCH_KEEP_SCHEMA === '1') emit({ kept_schema: schema });
    else await dropSchema(schema);
  }
  if (CPU_PROF) {
    const file = join(CPU_PROF, `api-${mode}-${schema}.cpuprofile`);
    if (!existsSync(file)) emit({ step: 'cpu_profile', mode, missing: file });
    else for (const w of windows.splice(0)) emit({ step: 'cpu_profile', mode, window: w.label, ...summarizeProfile(file, w.fromUs, w.toUs) });
  }
  return out;
}

async function main(): Promise<void> {
  build();
  const all: Measured[] = [];
  for (const mode of MODES) all.push(...(await runMode(mode)));
  emit({
    summary: true,
    items: N,
    duration_s: DURATION,
    warmup_s: WARMUP,
    api: API_BUILD,
    ...(CPU_PROF ? { profiled: true } : {}),
    load_avg_end: load1(),
    results: all.map((m) => ({ mode: m.mode, route: m.label, c: m.connections, req_s: m.req_s, p50: m.p50_ms, p97_5: m.p97_5_ms, p99: m.p99_ms, errors: m.errors, timeouts: m.timeouts, non2xx: m.non2xx })),
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
