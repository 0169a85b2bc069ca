/**
 * npm run bench:run — the run pipeline, end to end: the real API (its own process, fresh schema),
 * worker processes spawned from src/worker.ts (compiled by default), the provider emulator in this
 * process, and the shared Postgres and Redis. Four scenarios, one JSON line per measurement and a
 * summary last:
 *
 *   overhead  zero-latency emulator, no faults, limits far above the pipeline: items/s completed from
 *             POST /runs/{id}/start to the run's terminal status, over a sweep of worker processes ×
 *             per-provider concurrency × DB pool size, then the best setting at every BENCH_ITEMS size.
 *   floors    what the same items cost the database alone (the worker's three statements per item,
 *             sent from this process) and BullMQ alone (no-op jobs), on this machine.
 *   rate      2 workers, one provider at P_QPS / P_BURST: achieved call rate (from the emulator's
 *             arrival timestamps) against the configured QPS, and the most calls in any window
 *             against QPS·t + burst.
 *   latency   emulator latency L, concurrency C: completion time against N·L / C.
 *
 * Every measured run also carries where the machine's CPU went while it ran (worker, API, this
 * process with the emulator, Redis, this bench's Postgres backends, other Postgres processes, and
 * everything else), so a figure taken while other sessions were busy shows it.
 *
 * Environment (defaults in brackets):
 *   BENCH_SCENARIOS      overhead,floors,rate,latency
 *   BENCH_WORKER         compiled | ts-node [compiled]: compiled = tsc into .local/bench-build first
 *   BENCH_SKIP_BUILD     1 = reuse .local/bench-build as it is
 *   BENCH_ITEMS          run sizes for the overhead scenario [5000,20000]; the sweep uses the first
 *   BENCH_WORKERS        worker processes swept [1,2]
 *   BENCH_CONCURRENCY    per-provider concurrency (per worker) swept [16,32,64]
 *   BENCH_POOL           DB_POOL_SIZE per worker swept (DB_POOL_MAX_OVERFLOW=0) [10]
 *   BENCH_RATE_QPS / BENCH_RATE_BURST / BENCH_RATE_SECONDS / BENCH_RATE_CONCURRENCY  [20 / 1 / 30 / 8]
 *   BENCH_LATENCY_MS     emulator latencies L, one run each [200,1000]
 *   BENCH_LATENCY_CONCURRENCY / BENCH_LATENCY_WORKERS  [16 / 1]
 *   BENCH_LATENCY_ITEMS  items per run [as many as make N·L/C = BENCH_LATENCY_SECONDS, 20]
 *   BENCH_CPU_PROF       a directory: workers run with --cpu-prof there, and each profile's top
 *                        functions and packages are printed when the worker exits
 *   BENCH_WORKER_NODE_OPTIONS  extra node flags for the workers (e.g. --require a timing hook)
 *   BENCH_WORKER_LOG     a file: every worker's stdout and stderr are appended to it
 *   BENCH_QUIET_CORES    CPU used by other processes (cores) above which a scenario waits (at most
 *                        BENCH_QUIET_WAIT_S, 20), and a measured run is marked noisy and run once more [0.3]
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue, Worker as BullWorker } from 'bullmq';
import { Client, Pool } from 'pg';
import Redis from 'ioredis';
import type { ProviderName } from '../src/emulator/config';
import { startEmulator, type EmulatorHandle } from '../src/emulator/emulator';
import { EmulatorStats } from '../src/emulator/stats';
import { API_KEY, compileApp, emit, ROOT, startApi, type RunningApi } from './bench-helpers';
import { cmdline, cpuSnapshot, localPorts, type CpuSnapshot } from './proc-stats';

// ---------------------------------------------------------------------------------------------
// settings

const list = (name: string, dflt: string): string[] =>
  (process.env[name] ?? dflt)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const nums = (name: string, dflt: string): number[] => list(name, dflt).map(Number);
const num = (name: string, dflt: number): number => Number(process.env[name] ?? dflt);

const SCENARIOS = new Set(list('BENCH_SCENARIOS', 'overhead,floors,rate,latency'));
const WORKER_MODE = (process.env.BENCH_WORKER ?? 'compiled') as 'compiled' | 'ts-node';
const ITEMS = nums('BENCH_ITEMS', '5000,20000');
const SWEEP_WORKERS = nums('BENCH_WORKERS', '1,2');
const SWEEP_CONCURRENCY = nums('BENCH_CONCURRENCY', '16,32,64');
const SWEEP_POOL = nums('BENCH_POOL', '10');
const RATE = { qps: num('BENCH_RATE_QPS', 20), burst: num('BENCH_RATE_BURST', 1), seconds: num('BENCH_RATE_SECONDS', 30), concurrency: num('BENCH_RATE_CONCURRENCY', 8) };
const LAT = {
  ms: nums('BENCH_LATENCY_MS', '200,1000'),
  concurrency: num('BENCH_LATENCY_CONCURRENCY', 16),
  /** Items per run: BENCH_LATENCY_ITEMS, else as many as make N·L/C this many seconds. */
  items: process.env.BENCH_LATENCY_ITEMS ? Number(process.env.BENCH_LATENCY_ITEMS) : undefined,
  seconds: num('BENCH_LATENCY_SECONDS', 20),
  workers: num('BENCH_LATENCY_WORKERS', 1),
};
const CPU_PROF = process.env.BENCH_CPU_PROF;
const QUIET_CORES = num('BENCH_QUIET_CORES', 0.3);
const QUIET_WAIT_S = num('BENCH_QUIET_WAIT_S', 20);
const WARMUP_QUESTIONS = 150;
/** Far above what the pipeline does, below the config's ceilings (QPS ≤ 10,000, burst ≤ 100,000). */
const UNLIMITED = { qps: 10_000, burst: 100_000 };

const PROVIDERS: ProviderName[] = ['openai', 'gemini', 'perplexity'];
const MODELS: Record<ProviderName, string> = { openai: 'gpt-5-mini', gemini: 'gemini-2.5-flash', perplexity: 'perplexity/sonar' };
const ENV_NAME: Record<ProviderName, string> = { openai: 'OPENAI', gemini: 'GEMINI', perplexity: 'PERPLEXITY' };
const BUILD_DIR = join(ROOT, '.local', 'bench-build');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 1): number => (Number.isFinite(x) ? Number(x.toFixed(d)) : x);

// ---------------------------------------------------------------------------------------------
// the emulator's arrival timestamps (performance.now() of this process, where the emulator runs)

const arrivals: Record<ProviderName, number[]> = { openai: [], gemini: [], perplexity: [] };
// Wrapped in place (bench only): every provider request the emulator receives is timestamped here.
const proto = EmulatorStats.prototype as unknown as { arrive: (this: EmulatorStats, provider: ProviderName, now: number) => number };
const originalArrive = proto.arrive;
proto.arrive = function (this: EmulatorStats, provider: ProviderName, now: number): number {
  arrivals[provider].push(now);
  return originalArrive.call(this, provider, now);
};
function clearArrivals(): void {
  for (const p of PROVIDERS) arrivals[p].length = 0;
}

// ---------------------------------------------------------------------------------------------
// CPU accounting from /proc: who used the two cores during a window

const CLK_TCK = 100;






interface CpuBreakdown {
  seconds: number;
  /** Cores used on average, by who used them. */
  cores: Record<string, number>;
  machine_busy_cores: number;
}

/** Classifies every process's CPU time between two snapshots. `mine` are this bench's node processes. */
function cpuBreakdown(a: CpuSnapshot, b: CpuSnapshot, mine: { workers: number[]; api: number }): CpuBreakdown {
  const seconds = (b.at - a.at) / 1000;
  const myPgPorts = localPorts([...mine.workers, mine.api, process.pid]);
  const cores: Record<string, number> = { workers: 0, api: 0, bench_and_emulator: 0, redis: 0, postgres_bench_backends: 0, postgres_other: 0, other: 0 };
  let attributed = 0;
  for (const [pid, pb] of b.procs) {
    const pa = a.procs.get(pid);
    const ticks = pb.ticks - (pa && pa.comm === pb.comm ? pa.ticks : 0);
    if (ticks <= 0) continue;
    attributed += ticks;
    let who = 'other';
    if (mine.workers.includes(pid)) who = 'workers';
    else if (pid === mine.api) who = 'api';
    else if (pid === process.pid) who = 'bench_and_emulator';
    else if (pb.comm.startsWith('redis-server')) who = 'redis';
    else if (pb.comm === 'postgres') {
      const port = /\((\d+)\)/.exec(cmdline(pid));
      who = port && myPgPorts.has(Number(port[1])) ? 'postgres_bench_backends' : 'postgres_other';
    }
    cores[who] += ticks;
  }
  const busy = b.busy - a.busy;
  // Processes that started and ended within the window are seen by /proc/stat only.
  cores.other += Math.max(0, busy - attributed);
  for (const k of Object.keys(cores)) cores[k] = round(cores[k] / CLK_TCK / seconds, 2);
  return { seconds: round(seconds, 2), cores, machine_busy_cores: round(busy / CLK_TCK / seconds, 2) };
}

/** Load average, and the cores used by processes other than this bench's over `ms`. */
async function machineState(mine: { workers: number[]; api: number }, ms = 2000): Promise<{ loadavg: number[]; other_cores: number }> {
  const a = cpuSnapshot();
  await sleep(ms);
  const b = cpuBreakdown(a, cpuSnapshot(), mine);
  const loadavg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  // Postgres processes that are not this bench's backends, and anything else.
  return { loadavg, other_cores: round(b.cores.other + b.cores.postgres_other, 2) };
}

/** Waits (up to `maxS`) until other sessions leave the machine quiet; answers the state seen. */
async function waitForQuiet(mine: { workers: number[]; api: number }, maxS = QUIET_WAIT_S): Promise<{ loadavg: number[]; other_cores: number; waited_s: number }> {
  const t0 = performance.now();
  for (;;) {
    const s = await machineState(mine);
    const waited = (performance.now() - t0) / 1000;
    if (s.other_cores <= QUIET_CORES || waited >= maxS) return { ...s, waited_s: round(waited, 0) };
  }
}

// ---------------------------------------------------------------------------------------------
// processes

interface Worker {
  child: ChildProcess;
  pid: number;
  output: () => string;
  exited: Promise<void>;
}

function build(): void {
  if (WORKER_MODE !== 'compiled') return;
  const built = compileApp(BUILD_DIR, join('src', 'worker.js'));
  if (built) emit({ bench: 'run', step: 'build', worker: 'compiled', out_dir: '.local/bench-build', ...built });
}

/** Workers not stopped yet, so an interrupted bench stops them too. */
const liveWorkers = new Set<Worker>();

async function spawnWorker(env: Record<string, string>): Promise<Worker> {
  const args = WORKER_MODE === 'compiled' ? [join(BUILD_DIR, 'src', 'worker.js')] : ['-r', 'ts-node/register/transpile-only', join(ROOT, 'src', 'worker.ts')];
  if (CPU_PROF) {
    mkdirSync(CPU_PROF, { recursive: true });
    args.unshift('--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`);
  }
  if (process.env.BENCH_WORKER_NODE_OPTIONS) args.unshift(...process.env.BENCH_WORKER_NODE_OPTIONS.split(' ').filter(Boolean));
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer): void => {
    out += d.toString();
    if (out.length > 256 * 1024) out = out.slice(-128 * 1024);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  if (process.env.BENCH_WORKER_LOG) {
    const log = createWriteStream(process.env.BENCH_WORKER_LOG, { flags: 'a' });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const worker = { child, pid: child.pid!, output: () => out, exited };
  liveWorkers.add(worker);
  void exited.then(() => liveWorkers.delete(worker));
  const deadline = Date.now() + 90_000;
  while (!/worker started/.test(out)) {
    if (child.exitCode !== null) throw new Error(`worker exited (${child.exitCode}) before it started: ${out.slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`worker did not start within 90 s: ${out.slice(-3000)}`);
    await sleep(50);
  }
  return worker;
}

/** Peak resident set size the kernel recorded for the process (VmHWM), in MiB. */
function hwmMiB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

async function stopWorkers(workers: Worker[]): Promise<void> {
  await Promise.all(
    workers.map(async (w) => {
      if (w.child.exitCode !== null || w.child.signalCode !== null) return;
      w.child.kill('SIGTERM');
      const timer = setTimeout(() => w.child.kill('SIGKILL'), 20_000);
      await w.exited;
      clearTimeout(timer);
    }),
  );
  if (CPU_PROF) summarizeProfiles(CPU_PROF);
}

// ---------------------------------------------------------------------------------------------
// CPU profiles (BENCH_CPU_PROF): self time by function and by package

const seenProfiles = new Set<string>();

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

function summarizeProfiles(dir: string): void {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    if (seenProfiles.has(file)) continue;
    seenProfiles.add(file);
    const prof = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    const selfUs = new Map<number, number>();
    prof.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
    const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
    const byFn = new Map<string, number>();
    const byPkg = new Map<string, number>();
    const byCaller = new Map<string, number>();
    const parent = new Map<number, number>();
    for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    /** The nearest frame on the stack from a package or from the app: whose work a native or node-core frame was doing. */
    const callerOf = (id: number): string => {
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const u = byId.get(cur)!.callFrame.url;
        const nm = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(u);
        if (nm) return nm[1];
        const app = /(?:bench-build\/)?src\/([^/]+)\//.exec(u);
        if (app && !u.startsWith('node:')) return `app: src/${app[1]}`;
        if (u.includes('internal/deps/undici')) return 'undici (fetch)';
      }
      const f = byId.get(id)!.callFrame.functionName;
      return ['(idle)', '(garbage collector)', '(program)'].includes(f) ? f : 'node core, no package on the stack';
    };
    for (const [id, us] of selfUs) {
      const n = byId.get(id)!;
      const url = n.callFrame.url.replace(`file://${ROOT}/`, '').replace(`${ROOT}/`, '');
      const fn = `${n.callFrame.functionName || '(anonymous)'} ${url ? `${url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}` : ''}`.trim();
      byFn.set(fn, (byFn.get(fn) ?? 0) + us);
      const name = n.callFrame.functionName;
      let pkg = 'node core (JS)';
      const nm = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
      if (nm) pkg = nm[1];
      else if (url.startsWith('.local/bench-build/src/') || url.startsWith('src/')) pkg = `app: ${url.replace(/^\.local\/bench-build\//, '').split('/').slice(0, 2).join('/')}`;
      else if (name === '(idle)') pkg = '(idle)';
      else if (name === '(garbage collector)') pkg = '(gc)';
      else if (name === '(program)') pkg = '(program: native, not attributed)';
      else if (!url) pkg = `native: ${['writev', 'writeUtf8String', 'writeBuffer', 'writeLatin1String'].includes(name) ? 'socket writes (syscalls)' : 'other'}`;
      byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + us);
      const caller = callerOf(id);
      byCaller.set(caller, (byCaller.get(caller) ?? 0) + us);
    }
    const top = (m: Map<string, number>, k: number): Record<string, number> =>
      Object.fromEntries([...m.entries()].sort((x, y) => y[1] - x[1]).slice(0, k).map(([name, us]) => [name, round((us / total) * 100, 1)]));
    emit({ bench: 'run', cpu_profile: file, profile_ms: Math.round(total / 1000), self_pct_by_package: top(byPkg, 20), pct_by_nearest_package_on_stack: top(byCaller, 20), self_pct_top_functions: top(byFn, 25) });
  }
}

// ---------------------------------------------------------------------------------------------
// the bench's context: API, emulator, its own database connection

interface Ctx {
  api: RunningApi;
  emulator: EmulatorHandle;
  db: Client;
  prefix: string;
  shared: Record<string, string>;
}

function providerEnv(limits: Partial<Record<ProviderName, { qps: number; burst: number; concurrency: number }>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [p, l] of Object.entries(limits) as [ProviderName, { qps: number; burst: number; concurrency: number }][]) {
    env[`${ENV_NAME[p]}_QPS`] = String(l.qps);
    env[`${ENV_NAME[p]}_BURST`] = String(l.burst);
    env[`${ENV_NAME[p]}_CONCURRENCY`] = String(l.concurrency);
  }
  return env;
}

async function http(ctx: Ctx, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${ctx.api.url}/api/v1${path}`, {
    method,
    headers: { 'X-API-Key': API_KEY, ...(body !== undefined ? { 'Content-Type': contentType } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { text };
  }
  return { status: res.status, json };
}

/** A campaign with the emulator's brands, and `count` questions (5 topics, 3 personas) imported as JSON Lines. */
async function seedCampaign(ctx: Ctx, count: number, tag: string): Promise<string> {
  const name = `Bench ${tag} ${randomUUID().slice(0, 8)}`;
  const created = await http(ctx, 'POST', '/campaigns', {
    name,
    product_name: 'Acme CRM',
    brand_aliases: ['Acme', 'AcmeCRM'],
    brand_domains: ['acme.example'],
    competitors: [
      { name: 'Globex', aliases: ['Globex CRM'], domains: ['globex.example'] },
      { name: 'Initech', domains: ['initech.example'] },
      { name: 'Umbrella', domains: ['umbrella.example'] },
    ],
  });
  if (created.status !== 201) throw new Error(`POST /campaigns: ${created.status} ${JSON.stringify(created.json).slice(0, 500)}`);
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      campaign: name,
      topic: `Topic ${i % 5}`,
      persona: { name: `Persona ${i % 3}`, role: ['CTO', 'COO', 'Head of Sales'][i % 3] },
      question: `Which CRM should a team of ${i + 2} people choose for workflow ${tag} ${i}?`,
    }),
  );
  const imported = await http(ctx, 'POST', '/question-sets:import', lines.join('\n'), 'application/x-ndjson');
  if (imported.status !== 200 || imported.json.imported !== count) throw new Error(`import: ${imported.status} ${JSON.stringify(imported.json).slice(0, 500)}`);
  return String(created.json.id);
}

interface RunMeasure {
  run_id: string;
  status: string;
  items: number;
  succeeded: number;
  failed: number;
  responses: number;
  provider_calls: number;
  e2e_ms: number;
  items_per_s: number;
  /** From the responses' commit times, the first and last second left out. */
  steady_items_per_s: number | null;
  db_started_to_finished_ms: number;
  first_call_ms: number | null;
  timed_out: boolean;
  cpu: CpuBreakdown;
  worker_peak_rss_mib: number;
  worker_rss_end_mib: number;
  /** The largest worker's RSS at 0 %, 10 %, … 100 % of the run's duration. */
  worker_rss_deciles_mib: number[];
  redis_cmds_per_item: number;
  redis_top_cmds_per_item: Record<string, number>;
  pg_commits_per_item: number;
  per_item_cpu_ms: Record<string, number>;
  /** What two cores could complete if this pipeline had them to itself: 2 s of CPU / its CPU per item. */
  cpu_ceiling_items_per_s: number;
  has_active_check_at_end: { ms: number; buffers: number; scan: string };
  /** Per item: from its claim to its answer's write (both stamped by Postgres); the rest of a slot's cycle is spent between items. */
  claim_to_answer_write_ms: { p50: number; p90: number; p99: number };
}

async function redisCommandStats(redis: Redis): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  const m = new Map<string, number>();
  for (const line of info.split('\n')) {
    const r = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (r) m.set(r[1], Number(r[2]));
  }
  return m;
}

async function pgCommits(ctx: Ctx): Promise<number> {
  const { rows } = await ctx.db.query<{ n: string }>('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()');
  return Number(rows[0].n);
}

/** Creates a run of `campaignId` on `providers`, starts it, and waits for it to end; everything measured on the way. */
async function measureRun(ctx: Ctx, campaignId: string, providers: ProviderName[], workers: Worker[], label: string): Promise<RunMeasure> {
  const created = await http(ctx, 'POST', '/runs', { campaign_id: campaignId, label, providers: providers.map((p) => ({ provider: p, model: MODELS[p] })), samples: 1 });
  if (created.status !== 201) throw new Error(`POST /runs: ${created.status} ${JSON.stringify(created.json).slice(0, 500)}`);
  const runId = String(created.json.id);
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  const mine = { workers: workers.map((w) => w.pid), api: ctx.api.child.pid! };
  const statsBefore = ctx.emulator.stats();
  clearArrivals();
  const redisBefore = await redisCommandStats(redis);
  const pgBefore = await pgCommits(ctx);
  let peakRss = 0;
  // The peak of any one worker (the figure the quality bar limits), sampled; VmHWM is read at the end too.
  const rssTimeline: number[] = [];
  const sampleRss = (): void => {
    let top = 0;
    for (const w of workers) top = Math.max(top, rssOf(w.pid) || 0);
    peakRss = Math.max(peakRss, top);
    rssTimeline.push(top);
  };
  const sampler = setInterval(sampleRss, 100);
  const cpu0 = cpuSnapshot();
  const t0 = performance.now();
  const started = await http(ctx, 'POST', `/runs/${runId}/start`);
  if (started.status !== 202) throw new Error(`POST /runs/${runId}/start: ${started.status} ${JSON.stringify(started.json).slice(0, 500)}`);
  const total = Number((started.json.counts as { total: number }).total);
  const timeoutMs = Number(process.env.BENCH_RUN_TIMEOUT_S ?? 60 + total / 25) * 1000;
  let status = 'running';
  let timedOut = false;
  for (;;) {
    const { rows } = await ctx.db.query<{ status: string }>(`SELECT status FROM "${ctx.api.schema}"."runs" WHERE id = $1`, [runId]);
    status = rows[0].status;
    if (['completed', 'completed_with_errors', 'cancelled'].includes(status)) break;
    if (performance.now() - t0 > timeoutMs) {
      timedOut = true;
      await http(ctx, 'POST', `/runs/${runId}/cancel`);
      break;
    }
    await sleep(50);
  }
  const t1 = performance.now();
  const cpu1 = cpuSnapshot();
  const cpu = cpuBreakdown(cpu0, cpu1, mine);
  clearInterval(sampler);
  sampleRss();
  const pgAfter = await pgCommits(ctx);
  const redisAfter = await redisCommandStats(redis);
  redis.disconnect();

  const s = `"${ctx.api.schema}"`;
  const [counts] = (
    await ctx.db.query<{ succeeded: string; failed: string; total: string }>(
      `SELECT count(*) FILTER (WHERE status = 'succeeded') AS succeeded, count(*) FILTER (WHERE status = 'failed') AS failed, count(*) AS total
       FROM ${s}."run_items" WHERE run_id = $1`,
      [runId],
    )
  ).rows;
  const [run] = (
    await ctx.db.query<{ ms: string }>(`SELECT extract(epoch FROM finished_at - started_at) * 1000 AS ms FROM ${s}."runs" WHERE id = $1`, [runId])
  ).rows;
  const times = (
    await ctx.db.query<{ t: string }>(`SELECT extract(epoch FROM created_at) * 1000 AS t FROM ${s}."responses" WHERE run_id = $1 ORDER BY created_at`, [runId])
  ).rows.map((r) => Number(r.t));
  let steady: number | null = null;
  if (times.length > 1 && times[times.length - 1] - times[0] > 4000) {
    const from = times[0] + 1000;
    const to = times[times.length - 1] - 1000;
    steady = round((times.filter((t) => t >= from && t <= to).length / (to - from)) * 1000, 0);
  }
  // Per item, from the database's clocks: claim (started_at) to the answer's write (responses.created_at).
  const [span] = (
    await ctx.db.query<{ p50: number; p90: number; p99: number }>(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.9) WITHIN GROUP (ORDER BY ms) AS p90,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
       FROM (SELECT extract(epoch FROM r.created_at - i.started_at) * 1000 AS ms
             FROM ${s}."responses" r JOIN ${s}."run_items" i ON i.id = r.run_item_id WHERE r.run_id = $1) x`,
      [runId],
    )
  ).rows;
  // The finish check every item ends with ("is anything left?"), as the run's last item asks it.
  const plan = (
    await ctx.db.query<{ 'QUERY PLAN': [{ 'Execution Time': number; Plan: { 'Shared Hit Blocks': number; 'Shared Read Blocks': number; 'Node Type': string; Plans?: { 'Node Type': string; 'Index Name'?: string }[] } }] }>(
      `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT 1 FROM ${s}."run_items" WHERE run_id = $1 AND status IN ('pending', 'queued', 'running') LIMIT 1`,
      [runId],
    )
  ).rows[0]['QUERY PLAN'][0];
  const hasActiveAtEnd = {
    ms: round(plan['Execution Time'], 3),
    buffers: plan.Plan['Shared Hit Blocks'] + plan.Plan['Shared Read Blocks'],
    scan: plan.Plan.Plans?.[0] ? `${plan.Plan.Plans[0]['Node Type']}${plan.Plan.Plans[0]['Index Name'] ? ` on ${plan.Plan.Plans[0]['Index Name']}` : ''}` : plan.Plan['Node Type'],
  };
  const statsAfter = ctx.emulator.stats();
  const calls = PROVIDERS.reduce((n, p) => n + statsAfter.providers[p].calls - statsBefore.providers[p].calls, 0);
  const firstCall = Math.min(...PROVIDERS.map((p) => arrivals[p][0] ?? Infinity));
  const items = Number(counts.total);
  const redisDelta = new Map<string, number>();
  for (const [k, v] of redisAfter) redisDelta.set(k, v - (redisBefore.get(k) ?? 0) - (k === 'info' ? 1 : 0));
  const redisTotal = [...redisDelta.values()].reduce((a, b) => a + b, 0);
  const e2e = t1 - t0;
  return {
    run_id: runId,
    status,
    items,
    succeeded: Number(counts.succeeded),
    failed: Number(counts.failed),
    responses: times.length,
    provider_calls: calls,
    e2e_ms: Math.round(e2e),
    items_per_s: round((Number(counts.succeeded) / e2e) * 1000, 0),
    steady_items_per_s: steady,
    db_started_to_finished_ms: Math.round(Number(run.ms)),
    first_call_ms: Number.isFinite(firstCall) ? Math.round(firstCall - t0) : null,
    timed_out: timedOut,
    cpu,
    worker_peak_rss_mib: round(Math.max(peakRss, ...workers.map((w) => hwmMiB(w.pid)).filter(Number.isFinite)), 0),
    worker_rss_end_mib: round(Math.max(...workers.map((w) => rssOf(w.pid))), 0),
    worker_rss_deciles_mib: Array.from({ length: 11 }, (_, k) => round(rssTimeline[Math.min(rssTimeline.length - 1, Math.floor((k * (rssTimeline.length - 1)) / 10))] ?? NaN, 0)),
    redis_cmds_per_item: round(redisTotal / Math.max(1, items), 1),
    redis_top_cmds_per_item: Object.fromEntries(
      [...redisDelta.entries()]
        .filter(([, v]) => v > 0)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8)
        .map(([k, v]) => [k, round(v / Math.max(1, items), 2)]),
    ),
    pg_commits_per_item: round((pgAfter - pgBefore - 1) / Math.max(1, items), 2),
    per_item_cpu_ms: perItemCpu(cpu, items),
    cpu_ceiling_items_per_s: cpuCeiling(cpu, items),
    has_active_check_at_end: hasActiveAtEnd,
    claim_to_answer_write_ms: { p50: round(Number(span.p50), 1), p90: round(Number(span.p90), 1), p99: round(Number(span.p99), 1) },
  };
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

function workerEnv(ctx: Ctx, extra: Record<string, string>): Record<string, string> {
  return {
    ...ctx.shared,
    DB_SCHEMA: ctx.api.schema,
    QUEUE_PREFIX: ctx.prefix,
    DB_APPLY_MIGRATIONS: 'false',
    API_KEYS: API_KEY,
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    SHUTDOWN_TIMEOUT_MS: '15000',
    ...extra,
  };
}

/** Runs `fn` once, and once more if other processes used more than BENCH_QUIET_CORES meanwhile (runs up to 2 min); both are printed. */
async function measuredTwiceIfNoisy<T extends { cpu: CpuBreakdown }>(fn: () => Promise<T>, line: (m: T, attempt: number, noisy: boolean) => void): Promise<T> {
  let best: T | undefined;
  for (let attempt = 1; attempt <= 2; attempt++) {
    const m = await fn();
    const others = (x: T): number => x.cpu.cores.other + x.cpu.cores.postgres_other;
    const noisy = others(m) > QUIET_CORES;
    line(m, attempt, noisy);
    // The quieter of the two counts (a quiet one always is).
    if (!best || others(m) < others(best)) best = m;
    // A long run averages the noise out; only short ones are worth a second try.
    if (!noisy || m.cpu.seconds > 120) break;
  }
  return best!;
}

// ---------------------------------------------------------------------------------------------
// scenarios

interface OverheadResult {
  workers: number;
  concurrency: number;
  pool: number;
  items: number;
  items_per_s: number;
  steady_items_per_s: number | null;
  worker_peak_rss_mib: number;
  cpu: CpuBreakdown;
}

async function overhead(ctx: Ctx): Promise<{ sweep: OverheadResult[]; sizes: OverheadResult[]; campaigns: Map<number, string> }> {
  ctx.emulator.reset();
  ctx.emulator.setConfig({ providers: { openai: { latencyMs: 0 }, gemini: { latencyMs: 0 }, perplexity: { latencyMs: 0 } } });
  const warmCampaign = await seedCampaign(ctx, WARMUP_QUESTIONS, 'warm');
  const campaigns = new Map<number, string>();
  for (const n of ITEMS) campaigns.set(n, await seedCampaign(ctx, Math.ceil(n / PROVIDERS.length), `n${n}`));

  const one = async (workersN: number, concurrency: number, pool: number, sizes: number[]): Promise<OverheadResult[]> => {
    const env = workerEnv(ctx, {
      ...providerEnv(Object.fromEntries(PROVIDERS.map((p) => [p, { ...UNLIMITED, concurrency }]))),
      DB_POOL_SIZE: String(pool),
      DB_POOL_MAX_OVERFLOW: '0',
    });
    const workers: Worker[] = [];
    const out: OverheadResult[] = [];
    try {
      for (let i = 0; i < workersN; i++) workers.push(await spawnWorker(env));
      const mine = { workers: workers.map((w) => w.pid), api: ctx.api.child.pid! };
      await measureRun(ctx, warmCampaign, PROVIDERS, workers, 'warm-up');
      for (const n of sizes) {
        const state = await waitForQuiet(mine);
        const m = await measuredTwiceIfNoisy(
          () => measureRun(ctx, campaigns.get(n)!, PROVIDERS, workers, `overhead ${n}`),
          (m, attempt, noisy) =>
            emit({
              bench: 'run',
              scenario: 'overhead',
              worker_build: WORKER_MODE,
              workers: workersN,
              concurrency_per_provider: concurrency,
              db_pool_size: pool,
              attempt,
              noisy,
              loadavg_at_start: state.loadavg,
              other_cores_at_start: state.other_cores,
              waited_for_quiet_s: state.waited_s,
              ...m,
              target_items_per_s: 500,
              met: m.items_per_s >= 500,
            }),
        );
        out.push({ workers: workersN, concurrency, pool, items: m.items, items_per_s: m.items_per_s, steady_items_per_s: m.steady_items_per_s, worker_peak_rss_mib: m.worker_peak_rss_mib, cpu: m.cpu });
      }
    } finally {
      await stopWorkers(workers);
    }
    return out;
  };

  const sweep: OverheadResult[] = [];
  for (const w of SWEEP_WORKERS) for (const c of SWEEP_CONCURRENCY) for (const p of SWEEP_POOL) sweep.push(...(await one(w, c, p, [ITEMS[0]])));
  const best = [...sweep].sort((a, b) => b.items_per_s - a.items_per_s)[0];
  const sizes = [best, ...(ITEMS.length > 1 ? await one(best.workers, best.concurrency, best.pool, ITEMS.slice(1)) : [])];
  return { sweep, sizes, campaigns };
}

interface RateResult {
  qps: number;
  burst: number;
  calls: number;
  achieved_qps: number;
  ratio_to_qps: number;
  max_in_1s_window: number;
  bound_1s: number;
  max_excess_over_bound_any_window: number;
}

/** The most arrivals in any window [t, t + w), and the largest excess over qps·t + burst across all windows. */
function windowStats(ts: number[], qps: number, burst: number): { max1s: number; maxExcess: number } {
  let max1s = 0;
  let j = 0;
  for (let i = 0; i < ts.length; i++) {
    while (ts[i] - ts[j] >= 1000) j++;
    max1s = Math.max(max1s, i - j + 1);
  }
  let maxExcess = -Infinity;
  for (let i = 0; i < ts.length; i++) {
    for (let k = i; k < ts.length; k++) {
      maxExcess = Math.max(maxExcess, k - i + 1 - (qps * (ts[k] - ts[i])) / 1000 - burst);
    }
  }
  return { max1s, maxExcess };
}

async function rateLimited(ctx: Ctx): Promise<RateResult> {
  const provider: ProviderName = 'openai';
  const n = RATE.qps * RATE.seconds;
  const campaign = await seedCampaign(ctx, n, 'rate');
  ctx.emulator.reset();
  // The emulator answers 429 to any call beyond QPS + burst in a sliding second: a violation would show.
  ctx.emulator.setConfig({ providers: { [provider]: { latencyMs: 0, qps: RATE.qps + RATE.burst } } });
  const env = workerEnv(ctx, {
    ...providerEnv({ [provider]: { qps: RATE.qps, burst: RATE.burst, concurrency: RATE.concurrency } }),
    DB_POOL_SIZE: '4',
    DB_POOL_MAX_OVERFLOW: '0',
  });
  const workers: Worker[] = [];
  try {
    for (let i = 0; i < 2; i++) workers.push(await spawnWorker(env));
    const mine = { workers: workers.map((w) => w.pid), api: ctx.api.child.pid! };
    const state = await waitForQuiet(mine);
    const attempts = new Map<RunMeasure, RateResult>();
    const best = await measuredTwiceIfNoisy(
      () => measureRun(ctx, campaign, [provider], workers, 'rate-limited'),
      (m, attempt, noisy) => {
        const ts = [...arrivals[provider]].sort((a, b) => a - b);
        const achieved = ts.length > 1 ? ((ts.length - 1) / (ts[ts.length - 1] - ts[0])) * 1000 : NaN;
        const w = windowStats(ts, RATE.qps, RATE.burst);
        const st = ctx.emulator.stats().providers[provider];
        const result: RateResult = {
          qps: RATE.qps,
          burst: RATE.burst,
          calls: ts.length,
          achieved_qps: round(achieved, 2),
          ratio_to_qps: round(achieved / RATE.qps, 3),
          max_in_1s_window: w.max1s,
          bound_1s: RATE.qps + RATE.burst,
          max_excess_over_bound_any_window: round(w.maxExcess, 2),
        };
        attempts.set(m, result);
        emit({
          bench: 'run',
          scenario: 'rate_limited',
          worker_build: WORKER_MODE,
          workers: 2,
          provider,
          concurrency_per_worker: RATE.concurrency,
          attempt,
          noisy,
          loadavg_at_start: state.loadavg,
          other_cores_at_start: state.other_cores,
          ...result,
          calls_span_ms: ts.length > 1 ? Math.round(ts[ts.length - 1] - ts[0]) : 0,
          emulator_max_per_second: st.maxPerSecond,
          emulator_qps_violations: st.qpsViolations,
          emulator_by_status: st.byStatus,
          target_ratio: '0.95–1.00',
          met: result.ratio_to_qps >= 0.95 && result.ratio_to_qps <= 1.0 && w.max1s <= RATE.qps + RATE.burst,
          run: {
            items: m.items,
            succeeded: m.succeeded,
            failed: m.failed,
            e2e_ms: m.e2e_ms,
            items_per_s: m.items_per_s,
            first_call_ms: m.first_call_ms,
            // Token requests that found the bucket empty are retried after the wait it answered: they show as extra EVALs.
            redis_top_cmds_per_item: m.redis_top_cmds_per_item,
            cpu: m.cpu,
          },
        });
        ctx.emulator.reset();
        ctx.emulator.setConfig({ providers: { [provider]: { latencyMs: 0, qps: RATE.qps + RATE.burst } } });
      },
    );
    return attempts.get(best)!;
  } finally {
    await stopWorkers(workers);
    ctx.emulator.reset();
  }
}

interface LatencyResult {
  items: number;
  latency_ms: number;
  concurrency_total: number;
  ideal_ms: number;
  e2e_ms: number;
  ratio: number;
  first_call_to_last_answer_ms: number;
  ratio_calls_only: number;
  /** A slot's time per item beyond L: the pipeline's round trips (database, Redis, queue) and the HTTP call's own cost. */
  overhead_per_item_ms: number;
}

async function latencyBound(ctx: Ctx): Promise<LatencyResult[]> {
  const provider: ProviderName = 'openai';
  const c = LAT.concurrency * LAT.workers;
  const plan = LAT.ms.map((ms) => ({ ms, items: LAT.items ?? Math.round((LAT.seconds * 1000 * c) / ms) }));
  const campaigns = new Map<number, string>();
  for (const { items } of plan) if (!campaigns.has(items)) campaigns.set(items, await seedCampaign(ctx, items, `latency${items}`));
  const env = workerEnv(ctx, {
    ...providerEnv({ [provider]: { ...UNLIMITED, concurrency: LAT.concurrency } }),
    DB_POOL_SIZE: '10',
    DB_POOL_MAX_OVERFLOW: '0',
  });
  const workers: Worker[] = [];
  const results: LatencyResult[] = [];
  try {
    for (let i = 0; i < LAT.workers; i++) workers.push(await spawnWorker(env));
    const mine = { workers: workers.map((w) => w.pid), api: ctx.api.child.pid! };
    for (const { ms, items } of plan) {
      ctx.emulator.reset();
      ctx.emulator.setConfig({ providers: { [provider]: { latencyMs: ms } } });
      const state = await waitForQuiet(mine);
      const attempts = new Map<RunMeasure, LatencyResult>();
      const best = await measuredTwiceIfNoisy(
        () => measureRun(ctx, campaigns.get(items)!, [provider], workers, 'latency-bound'),
        (m, attempt, noisy) => {
          const ideal = (m.items * ms) / c;
          const ts = arrivals[provider];
          const callsOnly = ts.length ? ts[ts.length - 1] - ts[0] + ms : NaN;
          const cycle = (m.e2e_ms * c) / m.items;
          const result: LatencyResult = {
            items: m.items,
            latency_ms: ms,
            concurrency_total: c,
            ideal_ms: Math.round(ideal),
            e2e_ms: m.e2e_ms,
            ratio: round(m.e2e_ms / ideal, 3),
            first_call_to_last_answer_ms: Math.round(callsOnly),
            ratio_calls_only: round(callsOnly / ideal, 3),
            overhead_per_item_ms: round(cycle - ms, 1),
          };
          attempts.set(m, result);
          emit({
            bench: 'run',
            scenario: 'latency_bound',
            worker_build: WORKER_MODE,
            workers: LAT.workers,
            provider,
            concurrency_per_worker: LAT.concurrency,
            attempt,
            noisy,
            loadavg_at_start: state.loadavg,
            other_cores_at_start: state.other_cores,
            ...result,
            db_started_to_finished_ms: m.db_started_to_finished_ms,
            // One concurrency slot's time per item: the provider's L plus the pipeline's own (overhead_per_item_ms).
            slot_cycle_ms: round(cycle, 1),
            claim_to_answer_write_ms: m.claim_to_answer_write_ms,
            target_ratio_max: 1.1,
            met: m.e2e_ms / ideal <= 1.1,
            run: { succeeded: m.succeeded, failed: m.failed, provider_calls: m.provider_calls, items_per_s: m.items_per_s, first_call_ms: m.first_call_ms, cpu: m.cpu, worker_peak_rss_mib: m.worker_peak_rss_mib },
          });
        },
      );
      results.push(attempts.get(best)!);
    }
    return results;
  } finally {
    await stopWorkers(workers);
    ctx.emulator.reset();
  }
}

// ---------------------------------------------------------------------------------------------
// floors: what the database and the queue alone cost on this machine, for the same items

const PROVIDER_QUEUE_NAMES = ['provider-openai', 'provider-gemini', 'provider-perplexity'];

interface FloorResult {
  floor: string;
  items: number;
  concurrency: number;
  ms: number;
  items_per_s: number;
  cpu: CpuBreakdown;
}

/**
 * The hot path's three statements per item, as the worker sends them (claim, then answer + status in
 * one statement, then "is anything left"), from this process with a pool of `pool` connections and
 * `concurrency` items at a time, on the queued items of a run started with no worker running. The
 * answer stored is a copy of a real one from an earlier run, so rows and index entries are the same size.
 */
async function floorDb(ctx: Ctx, campaignId: string, concurrency: number, pool: number, phased: boolean): Promise<FloorResult[]> {
  const s = `"${ctx.api.schema}"`;
  const t = (await ctx.db.query<Record<string, unknown>>(`SELECT * FROM ${s}."responses" LIMIT 1`)).rows[0];
  if (!t) return [];
  const created = await http(ctx, 'POST', '/runs', { campaign_id: campaignId, label: 'floor', providers: PROVIDERS.map((p) => ({ provider: p, model: MODELS[p] })), samples: 1 });
  const runId = String(created.json.id);
  const started = await http(ctx, 'POST', `/runs/${runId}/start`);
  if (started.status !== 202) throw new Error(`floor start: ${started.status}`);
  // No worker runs now: its jobs are dropped, the items stay queued in the database.
  const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  for (const name of PROVIDER_QUEUE_NAMES) {
    const q = new Queue(name, { prefix: ctx.prefix, connection });
    await q.drain(true);
    await q.close();
  }
  connection.disconnect();
  const ids = (await ctx.db.query<{ id: string }>(`SELECT id FROM ${s}."run_items" WHERE run_id = $1`, [runId])).rows.map((r) => r.id);
  const pg = new Pool({ connectionString: process.env.DATABASE_URL, max: pool });
  await Promise.all(Array.from({ length: pool }, () => pg.query('SELECT 1')));
  const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));
  const claimed = new Map<string, { provider: string; model: string }>();

  // The statements of RunItemFullRepository.claim, .complete and .hasActive, as they are sent.
  const claim = async (id: string): Promise<void> => {
    const r = await pg.query<{ provider: string; model: string }>(
      `WITH c AS (
         UPDATE ${s}."run_items" i SET
           status = CASE WHEN r.status = 'cancelled' THEN 'cancelled' ELSE 'running' END,
           started_at = coalesce(i.started_at, now()), updated_at = now(),
           finished_at = CASE WHEN r.status = 'cancelled' THEN now() ELSE i.finished_at END
         FROM ${s}."runs" r
         WHERE i.id = $1 AND i.status IN ('queued', 'running') AND r.id = i.run_id RETURNING i.*
       )
       SELECT c.id, c.run_id, c.question_id, c.provider, c.model, c.setting_index, c.sample_index, c.idempotency_key, c.attempt_count,
              q.campaign_id, q.text AS question_text,
              tp.id AS topic_id, tp.title AS topic_title, tp.description AS topic_description,
              p.id AS persona_id, p.name AS persona_name, p.role AS persona_role, p.domain AS persona_domain,
              p.locale AS persona_locale, p.tone AS persona_tone
       FROM c JOIN ${s}."questions" q ON q.id = c.question_id
       LEFT JOIN ${s}."topics" tp ON tp.id = q.topic_id
       LEFT JOIN ${s}."personas" p ON p.id = q.persona_id
       WHERE c.status = 'running'`,
      [id],
    );
    if (r.rows[0]) claimed.set(id, r.rows[0]);
  };
  const complete = async (id: string): Promise<void> => {
    const c = claimed.get(id);
    if (!c) return;
    await pg.query(
      `WITH ins AS (
         INSERT INTO ${s}."responses" (id, run_item_id, run_id, provider, model, served_model, prompt_version, prompt_hash,
           request_json, response_json, text, citations_json, search_queries, details, token_usage_json, input_tokens, output_tokens,
           cost_usd, latency_ms, analysis, brand_mentioned, brand_rank, sentiment, cache_hit)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)
         ON CONFLICT (run_item_id) DO NOTHING RETURNING run_item_id
       )
       UPDATE ${s}."run_items" SET status = 'succeeded', finished_at = now(), updated_at = now(), last_error = NULL,
         attempt_count = attempt_count + $25
       WHERE id = $2 AND status IN ('queued', 'running')
       RETURNING (SELECT count(*) FROM ins)::int AS inserted`,
      [
        randomUUID(),
        id,
        runId,
        c.provider,
        c.model,
        t.served_model,
        t.prompt_version,
        t.prompt_hash,
        json(t.request_json),
        json(t.response_json),
        t.text,
        json(t.citations_json),
        json(t.search_queries),
        json(t.details),
        json(t.token_usage_json),
        t.input_tokens,
        t.output_tokens,
        t.cost_usd,
        t.latency_ms,
        json(t.analysis),
        t.brand_mentioned,
        t.brand_rank,
        t.sentiment,
        false,
        1,
      ],
    );
  };
  const hasActive = async (): Promise<void> => {
    await pg.query(`SELECT 1 FROM ${s}."run_items" WHERE run_id = $1 AND status IN ('pending', 'queued', 'running') LIMIT 1`, [runId]);
  };
  const pass = async (name: string, step: (id: string) => Promise<void>): Promise<FloorResult> => {
    const cpu0 = cpuSnapshot();
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < ids.length) await step(ids[next++]);
      }),
    );
    const ms = performance.now() - t0;
    const cpu = cpuBreakdown(cpu0, cpuSnapshot(), { workers: [], api: ctx.api.child.pid! });
    return { floor: name, items: ids.length, concurrency, ms: Math.round(ms), items_per_s: round((ids.length / ms) * 1000, 0), cpu };
  };
  const out: FloorResult[] = [];
  if (phased) {
    // One statement kind at a time, so each one's Postgres CPU shows on its own; "is anything
    // left" is asked once per item after all are done (the state at the end of a run).
    out.push(await pass('db_claim_only', claim));
    out.push(await pass('db_complete_only', complete));
    out.push(await pass('db_has_active_only_run_done', hasActive));
  } else {
    out.push(
      await pass('db_statements', async (id) => {
        await claim(id);
        await complete(id);
        await hasActive();
      }),
    );
  }
  await pg.end();
  await ctx.db.query(`UPDATE ${s}."runs" SET status = 'completed', finished_at = now() WHERE id = $1`, [runId]);
  return out;
}

/**
 * BullMQ alone: `items` jobs added in bulk (the API's chunks of 1,000, the same job options) and
 * consumed by one bare Worker in this process with a no-op processor and the given concurrency.
 */
async function floorQueue(ctx: Ctx, items: number, concurrency: number): Promise<FloorResult> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const name = 'bench-floor-noop';
  const queue = new Queue(name, { prefix: ctx.prefix, connection: { url, maxRetriesPerRequest: null } });
  let done = 0;
  let resolveAll!: () => void;
  const all = new Promise<void>((r) => (resolveAll = r));
  const worker = new BullWorker(
    name,
    async () => {
      if (++done === items) resolveAll();
      return 'ok';
    },
    { prefix: ctx.prefix, connection: { url, maxRetriesPerRequest: null }, concurrency, settings: { backoffStrategy: () => 1000 } },
  );
  await worker.waitUntilReady();
  const cpu0 = cpuSnapshot();
  const t0 = performance.now();
  for (let i = 0; i < items; i += 1000) {
    await queue.addBulk(
      Array.from({ length: Math.min(1000, items - i) }, () => {
        const id = randomUUID();
        return { name: 'run-item', data: { runId: id, itemId: id }, opts: { jobId: id, attempts: 5, backoff: { type: 'jittered' }, removeOnComplete: true, removeOnFail: true } };
      }),
    );
  }
  await all;
  const ms = performance.now() - t0;
  const cpu = cpuBreakdown(cpu0, cpuSnapshot(), { workers: [], api: ctx.api.child.pid! });
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return { floor: 'bullmq_noop', items, concurrency, ms: Math.round(ms), items_per_s: round((items / ms) * 1000, 0), cpu };
}

async function floors(ctx: Ctx, campaignId: string, concurrency: number, pool: number, items: number): Promise<FloorResult[]> {
  const out: FloorResult[] = [];
  const mine = { workers: [], api: ctx.api.child.pid! };
  const steps = [() => floorDb(ctx, campaignId, concurrency, pool, false), () => floorDb(ctx, campaignId, concurrency, pool, true), async () => [await floorQueue(ctx, items, concurrency)]];
  for (const f of steps) {
    const state = await waitForQuiet(mine);
    for (const r of await f()) {
      emit({ bench: 'run', scenario: 'floor', ...r, per_item_cpu_ms: perItemCpu(r.cpu, r.items), loadavg_at_start: state.loadavg, other_cores_at_start: state.other_cores });
      out.push(r);
    }
  }
  return out;
}

/** Two cores' worth of CPU divided by what the bench's own processes (workers, API, emulator, Redis, its Postgres backends) spent per item. */
function cpuCeiling(cpu: CpuBreakdown, items: number): number {
  const mine = ['workers', 'api', 'bench_and_emulator', 'redis', 'postgres_bench_backends'].reduce((a, k) => a + cpu.cores[k] * cpu.seconds * 1000, 0);
  return round((2000 * items) / Math.max(1, mine) / 1, 0);
}

/** CPU milliseconds per item, by who spent them. */
function perItemCpu(cpu: CpuBreakdown, items: number): Record<string, number> {
  return Object.fromEntries(Object.entries(cpu.cores).map(([k, cores]) => [k, round((cores * cpu.seconds * 1000) / Math.max(1, items), 2)]));
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const t0 = performance.now();
  build();
  const emulator = await startEmulator({ port: 0 });
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const shared: Record<string, string> = {
    DATABASE_URL: process.env.DATABASE_URL!,
    REDIS_URL: redisUrl,
    OPENAI_BASE_URL: emulator.baseUrls.openai,
    GEMINI_BASE_URL: emulator.baseUrls.gemini,
    PERPLEXITY_BASE_URL: emulator.baseUrls.perplexity,
    OPENAI_API_KEY: 'emulator-openai-key',
    GOOGLE_API_KEY: 'emulator-google-key',
    PERPLEXITY_API_KEY: 'emulator-perplexity-key',
    DB_COMPAT_MODE: 'false',
    USE_JSONB: 'true',
  };
  let api: RunningApi | undefined;
  let db: Client | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaning ??= (async () => {
      await stopWorkers([...liveWorkers]);
      await db?.end().catch(() => undefined);
      await api?.stop().catch((err: unknown) => console.error('cleanup:', err));
      await emulator.close();
    })());
  // Output piped into something that stopped reading (`| head`): clean up and stop, never leave the API running.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') void cleanup().finally(() => process.exit(0));
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
  try {
    api = await startApi({ ...shared, BODY_MAX_BYTES: String(50 * 1024 * 1024) });
    db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    const ctx: Ctx = { api, emulator, db, prefix: `bench-${api.schema}`, shared };
    emit({ bench: 'run', step: 'setup', schema: api.schema, worker_build: WORKER_MODE, cores: (await import('node:os')).cpus().length, loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number) });

    const summary: Record<string, unknown> = { bench: 'run', summary: true, worker_build: WORKER_MODE };
    let best: OverheadResult | undefined;
    let floorCampaign: string | undefined;
    if (SCENARIOS.has('overhead')) {
      const { sweep, sizes, campaigns } = await overhead(ctx);
      floorCampaign = campaigns.get(ITEMS[0]);
      best = [...sweep].sort((a, b) => b.items_per_s - a.items_per_s)[0];
      const biggest = sizes[sizes.length - 1];
      summary.overhead = {
        best_setting: { workers: best.workers, concurrency_per_provider: best.concurrency, db_pool_size: best.pool },
        sweep: sweep.map((s) => ({ workers: s.workers, concurrency: s.concurrency, pool: s.pool, items: s.items, items_per_s: s.items_per_s, steady_items_per_s: s.steady_items_per_s })),
        by_size: sizes.map((s) => ({ items: s.items, items_per_s: s.items_per_s, steady_items_per_s: s.steady_items_per_s, worker_peak_rss_mib: s.worker_peak_rss_mib, per_item_cpu_ms: perItemCpu(s.cpu, s.items), cpu_ceiling_items_per_s: cpuCeiling(s.cpu, s.items) })),
        target_items_per_s: 500,
        met: Math.max(...sizes.map((s) => s.items_per_s)) >= 500,
      };
      summary.worker_memory = { items: biggest.items, worker_peak_rss_mib: biggest.worker_peak_rss_mib, target_mib_at_100k: 250 };
    }
    if (SCENARIOS.has('floors')) {
      const workersN = best?.workers ?? SWEEP_WORKERS[0];
      const concurrency = (best?.concurrency ?? SWEEP_CONCURRENCY[0]) * PROVIDERS.length * workersN;
      const pool = (best?.pool ?? SWEEP_POOL[0]) * workersN;
      floorCampaign ??= await seedCampaign(ctx, Math.ceil(ITEMS[0] / PROVIDERS.length), 'floor');
      const f = await floors(ctx, floorCampaign, concurrency, pool, ITEMS[0]);
      summary.floors = f.map((r) => ({ floor: r.floor, items: r.items, concurrency: r.concurrency, items_per_s: r.items_per_s, per_item_cpu_ms: perItemCpu(r.cpu, r.items) }));
    }
    if (SCENARIOS.has('rate')) {
      const r = await rateLimited(ctx);
      summary.rate_limited = { ...r, met: r.ratio_to_qps >= 0.95 && r.ratio_to_qps <= 1 && r.max_in_1s_window <= r.bound_1s };
    }
    if (SCENARIOS.has('latency')) {
      summary.latency_bound = (await latencyBound(ctx)).map((l) => ({ ...l, met: l.ratio <= 1.1 }));
    }
    summary.total_s = Math.round((performance.now() - t0) / 1000);
    emit(summary);
  } finally {
    await cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
