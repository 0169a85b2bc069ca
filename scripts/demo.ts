/**
 * npm run demo [-- --exit] [-- --live] — the whole product on one machine, end to end.
 *
 * 1. Postgres and Redis: found or started by `node scripts/local-services.js up` (as `npm test`
 *    does); stopped again at the end only when that call started them.
 * 2. The provider emulator (src/emulator/main.ts) on a free port, with latency and a few 429/5xx
 *    faults so that the progress and the retries show; skipped with --live, where the real
 *    providers whose key is set are called (their base URLs are left as configured).
 * 3. The API (src/main.ts; schema geo_demo, migrations applied at start) and, once /readyz
 *    answers, the worker (src/worker.ts), both on the Redis prefix geo-demo. Logs in artefacts/demo/.
 * 4. Imports examples/question-set.jsonl (idempotent: a rerun skips what is there), sets the
 *    "Acme CRM visibility" campaign's brand and competitors and gives the same brands to the
 *    emulator, creates and starts a run against openai, perplexity and gemini, shows its progress
 *    and then a summary (counts, cost, latency p50/p95 per provider, errors).
 * 5. Leaves everything up (the API's /docs URL and key are printed) until Ctrl-C; with --exit it
 *    stops at once, with exit code 0 when the run completed and 1 otherwise.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  ApiClient,
  Child,
  countsOf,
  describeFetchError,
  doneOf,
  formatDuration,
  freePort,
  HttpError,
  isPortFree,
  maskUrl,
  money,
  num,
  parseArgs,
  parseExports,
  providerStats,
  RateMeter,
  renderBar,
  renderPlain,
  sleep,
  style,
  table,
  TERMINAL_STATUSES,
  USAGE,
  UsageError,
  type ChildExit,
  type DemoOptions,
  type ProgressView,
  type RunItem,
  type RunSummary,
  type RunMetricsResponse,
  visibilityTable,
} from './demo-lib';

const ROOT = join(__dirname, '..');
const LOG_DIR = join(ROOT, 'artefacts', 'demo');
const QUESTION_SET = join(ROOT, 'examples', 'question-set.jsonl');
const DB_SCHEMA = 'geo_demo';
const QUEUE_PREFIX = 'geo-demo';
const TS_NODE = ['-r', 'ts-node/register/transpile-only'];

const SERVICES_TIMEOUT_MS = 180_000;
const EMULATOR_READY_MS = 60_000;
const API_READY_MS = 180_000;
const WORKER_READY_MS = 180_000;
const STOP_GRACE_MS = 35_000;
/** No change in the run's counts for this long: something is stuck. */
const STALL_MS = 180_000;
/** Nothing picked up for this long after the start: say where to look (and keep waiting). */
const IDLE_HINT_MS = 30_000;
const POLL_MS = 500;

const CAMPAIGN = {
  name: 'Acme CRM visibility',
  product_name: 'Acme CRM',
  brand_aliases: ['Acme', 'AcmeCRM'],
  brand_domains: ['acme.example'],
  competitors: [
    { name: 'Globex', aliases: ['Globex CRM'], domains: ['globex.example'] },
    { name: 'Initech', aliases: ['Initech Sales'], domains: ['initech.example'] },
    { name: 'Umbrella', aliases: ['Umbrella CRM'], domains: ['umbrella.example'] },
  ],
};
/** How often the emulator mentions the brand, then each competitor. */
const MENTION_PROBABILITY = [0.7, 0.5, 0.35, 0.2];

const PROVIDERS = [
  { provider: 'openai', model: 'gpt-5-mini', keyVar: 'OPENAI_API_KEY', baseVar: 'OPENAI_BASE_URL' },
  { provider: 'perplexity', model: 'perplexity/sonar', keyVar: 'PERPLEXITY_API_KEY', baseVar: 'PERPLEXITY_BASE_URL' },
  { provider: 'gemini', model: 'gemini-2.5-flash', keyVar: 'GOOGLE_API_KEY', baseVar: 'GEMINI_BASE_URL' },
] as const;
type ProviderSpec = (typeof PROVIDERS)[number];

/** Visible latency, and a few transport faults so that the retries show. */
const EMULATOR_PROVIDER = { latencyMs: { min: 200, max: 900 }, faults: { rate429: 0.03, retryAfterSeconds: 1, rate5xx: 0.02, status5xx: 503 } };

/** Why the demo stops early. */
class DemoError extends Error {
  constructor(
    message: string,
    readonly child?: Child,
  ) {
    super(message);
  }
}
class Interrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`${signal} received`);
  }
}
class ChildDied extends Error {
  constructor(
    readonly child: Child,
    readonly exit: ChildExit,
  ) {
    super(`the ${child.name} exited unexpectedly (${exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`})`);
  }
}

interface Campaign {
  id: string;
  name: string;
  product_name?: string | null;
  brand_aliases?: string[] | null;
  brand_domains?: string[] | null;
  competitors?: Array<{ name: string; aliases?: string[] | null; domains?: string[] | null }> | null;
}

class Demo {
  private readonly children: Child[] = [];
  private readonly tty = process.stdout.isTTY === true;
  private readonly st = style(this.tty && !process.env.NO_COLOR);
  private readonly aborted: Promise<never>;
  private abort: (err: Error) => void = () => undefined;
  private firstSignalAt = 0;
  private lineOpen = false;
  private servicesStarted = false;
  private api: ApiClient | null = null;
  private runId: string | null = null;
  private finalStatus: string | null = null;

  constructor(private readonly opts: DemoOptions) {
    this.aborted = new Promise<never>((_, reject) => {
      this.abort = reject;
    });
    this.aborted.catch(() => undefined);
  }

  // ---- plumbing ------------------------------------------------------------

  /** Awaits `p`, unless a child dies or a signal arrives first. */
  private guard<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.aborted]);
  }

  onSignal(signal: NodeJS.Signals): void {
    const now = Date.now();
    if (this.firstSignalAt) {
      // `npm run` forwards the terminal's SIGINT, so the first Ctrl-C may arrive twice.
      if (now - this.firstSignalAt < 1500) return;
      this.println(this.st.red(`${signal} again: killing the children without waiting`));
      for (const c of this.children) c.signal('SIGKILL');
      process.exit(130);
    }
    this.firstSignalAt = now;
    this.abort(new Interrupted(signal));
  }

  private endLine(): void {
    if (this.lineOpen) {
      process.stdout.write('\r\x1b[2K');
      this.lineOpen = false;
    }
  }

  private println(text = ''): void {
    if (this.lineOpen) {
      process.stdout.write('\n');
      this.lineOpen = false;
    }
    process.stdout.write(`${text}\n`);
  }

  private async step<T>(label: string, fn: () => Promise<T>, detail?: (r: T) => string): Promise<T> {
    const t0 = Date.now();
    if (this.tty) {
      this.endLine();
      process.stdout.write(`${this.st.dim('…')} ${label}`);
      this.lineOpen = true;
    }
    try {
      const result = await this.guard(fn());
      this.endLine();
      const d = detail ? detail(result) : '';
      this.println(`${this.st.green('✓')} ${label}${d ? ` ${this.st.dim(`— ${d}`)}` : ''} ${this.st.dim(`(${((Date.now() - t0) / 1000).toFixed(1)} s)`)}`);
      return result;
    } catch (err) {
      this.endLine();
      this.println(`${this.st.red('✗')} ${label}`);
      throw err;
    }
  }

  private spawnChild(name: string, entry: string, env: NodeJS.ProcessEnv): Child {
    const child = new Child(name, join(LOG_DIR, `${name}.log`), [...TS_NODE, join(ROOT, entry)], env, ROOT);
    this.children.push(child);
    void child.exited.then((exit) => {
      if (!child.expectedToExit) this.abort(new ChildDied(child, exit));
    });
    return child;
  }

  /** Polls `check` until it is true; a timeout names what did not happen. */
  private async waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>, child?: Child): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await this.guard(check().catch(() => false))) return;
      if (Date.now() > deadline) throw new DemoError(`${what} did not happen within ${Math.round(timeoutMs / 1000)} s`, child);
      await this.guard(sleep(250));
    }
  }

  // ---- the demo --------------------------------------------------------------

  async run(): Promise<number> {
    mkdirSync(LOG_DIR, { recursive: true });
    const providers = this.chooseProviders();
    this.println(
      this.st.bold('GEO Visibility Engine demo') +
        this.st.dim(` — ${this.opts.live ? `live providers: ${providers.map((p) => p.provider).join(', ')}` : 'providers emulated'}; logs in ${relative(process.cwd(), LOG_DIR) || LOG_DIR}/`),
    );

    const services = await this.step('Postgres and Redis', () => this.servicesUp(), (s) => `${maskUrl(s.DATABASE_URL)}, ${s.REDIS_URL}${this.servicesStarted ? ' (throwaway instances, started now)' : ''}`);

    // Live: the keys and base URLs as configured. Emulated: every provider pointed at the emulator.
    const providerEnv: Record<string, string> = {};
    let emulatorUrl: string | null = null;
    if (!this.opts.live) {
      const emu = await this.step('provider emulator', () => this.startEmulator(), (e) => e.url);
      emulatorUrl = emu.url;
      for (const p of PROVIDERS) {
        providerEnv[p.baseVar] = emu.baseUrls[p.provider];
        providerEnv[p.keyVar] = 'demo-emulator-key';
      }
    }

    const apiKey = `demo-${randomBytes(12).toString('hex')}`;
    const port = await this.apiPort();
    const baseEnv: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: services.DATABASE_URL,
      REDIS_URL: services.REDIS_URL,
      DB_SCHEMA,
      QUEUE_PREFIX,
      API_KEYS: apiKey,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      ...providerEnv,
    };
    delete baseEnv.LOCAL_DATABASE_URL;
    const apiUrl = `http://127.0.0.1:${port}`;
    const apiChild = this.spawnChild('api', 'src/main.ts', { ...baseEnv, PORT: String(port), HOST: '127.0.0.1', DB_APPLY_MIGRATIONS: 'true' });
    await this.step(
      'API',
      () => this.waitFor('GET /readyz answering 200', API_READY_MS, async () => (await fetch(`${apiUrl}/readyz`, { signal: AbortSignal.timeout(5000) })).ok, apiChild),
      () => `${apiUrl} (schema ${DB_SCHEMA}, migrations applied)`,
    );
    const workerChild = this.spawnChild('worker', 'src/worker.ts', { ...baseEnv, DB_APPLY_MIGRATIONS: 'false', METRICS_PORT: String(await freePort()) });
    await this.step('worker', () => this.waitFor('the worker logging "worker started"', WORKER_READY_MS, async () => /worker started/.test(workerChild.log()), workerChild), () => `pid ${workerChild.process.pid}`);

    const api = new ApiClient(apiUrl, apiKey);
    this.api = api;

    const imported = await this.step(
      `import ${relative(ROOT, QUESTION_SET)}`,
      () => api.request<{ imported: number; skipped: number; errors: Array<{ line: number; message: string }> }>('POST', '/api/v1/question-sets:import', { body: readFileSync(QUESTION_SET, 'utf8'), contentType: 'application/x-ndjson', expect: [200] }),
      (r) => `${r.imported} imported, ${r.skipped} already there${r.errors.length ? `, ${r.errors.length} refused` : ''}`,
    );
    for (const e of imported.errors.slice(0, 5)) this.println(this.st.yellow(`  line ${e.line}: ${e.message}`));

    const campaign = await this.step(
      `campaign "${CAMPAIGN.name}": brand and competitors`,
      async () => {
        const found = (await api.all<Campaign>('/api/v1/campaigns')).find((c) => c.name.trim().toLowerCase() === CAMPAIGN.name.toLowerCase());
        if (!found) throw new DemoError(`the import did not create the campaign "${CAMPAIGN.name}"`);
        const { name: _name, ...patch } = CAMPAIGN;
        return api.request<Campaign>('PATCH', `/api/v1/campaigns/${found.id}`, { json: patch, expect: [200] });
      },
      (c) => `${c.product_name ?? c.name} vs ${(c.competitors ?? []).map((k) => k.name).join(', ')}`,
    );

    if (emulatorUrl) {
      const brands = [
        { name: campaign.product_name ?? campaign.name, aliases: campaign.brand_aliases ?? [], domains: campaign.brand_domains ?? [] },
        ...(campaign.competitors ?? []).map((k) => ({ name: k.name, aliases: k.aliases ?? [], domains: k.domains ?? [] })),
      ].map((b, i) => ({ ...b, probability: MENTION_PROBABILITY[Math.min(i, MENTION_PROBABILITY.length - 1)] }));
      await this.step('emulator brands', async () => {
        const res = await fetch(`${emulatorUrl}/__emulator/config`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ brands }), signal: AbortSignal.timeout(10_000) });
        if (!res.ok) throw new DemoError(`PUT /__emulator/config answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
      }, () => brands.map((b) => `${b.name} ${Math.round(b.probability * 100)}%`).join(', '));
    }

    await this.cancelLeftovers(campaign.id);

    let filters: { topic_ids: string[] } | undefined;
    let scope = 'every topic';
    if (this.opts.live && !this.opts.allTopics) {
      const topics = await this.guard(api.all<{ id: string; title: string }>(`/api/v1/campaigns/${campaign.id}/topics`));
      if (topics.length) {
        filters = { topic_ids: [topics[0].id] };
        scope = `topic "${topics[0].title}" only (--all-topics for every topic)`;
      }
    }
    const questions = await this.guard(api.get<{ total: number }>(`/api/v1/campaigns/${campaign.id}/questions?limit=1${filters ? `&topic_id=${filters.topic_ids[0]}` : ''}`));

    const created = await this.step(
      'run created',
      () =>
        api
          .request<RunSummary>('POST', '/api/v1/runs', {
            json: {
              campaign_id: campaign.id,
              label: `demo ${new Date().toISOString().slice(0, 19).replace('T', ' ')}`,
              providers: providers.map((p) => ({ provider: p.provider, model: p.model })),
              samples: this.opts.samples,
              ...(filters ? { filters } : {}),
            },
            expect: [201],
          })
          .catch((err: unknown) => {
            throw runsApiHint(err);
          }),
      (r) => `${r.id}: ${questions.total} questions × ${providers.length} providers × ${this.opts.samples} sample${this.opts.samples > 1 ? 's' : ''}, ${scope}`,
    );
    this.runId = created.id;
    const started = await this.step('run started', () => api.request<RunSummary>('POST', `/api/v1/runs/${created.id}/start`, { expect: [202] }), (s) => `${countsOf(s).total} items, status ${s.status}`);

    const final = await this.follow(created.id, started);
    this.finalStatus = final.status;
    await this.summarize(final, emulatorUrl);
    await this.downloadResults(final.id);

    const code = final.status === 'completed' ? 0 : 1;
    if (this.opts.exit) return code;

    this.println();
    this.println(`${this.st.bold('API')}      ${apiUrl}   ${this.st.dim('header')} X-API-Key: ${apiKey}`);
    this.println(`${this.st.bold('Docs')}     ${apiUrl}/docs`);
    this.println(`${this.st.bold('Try')}      curl -s -H 'X-API-Key: ${apiKey}' '${apiUrl}/api/v1/runs/${final.id}/items?limit=2'`);
    if (emulatorUrl) this.println(`${this.st.bold('Emulator')} ${emulatorUrl}/__emulator/stats`);
    this.println(this.st.dim('The API, the worker and the emulator stay up. Ctrl-C stops them.'));
    try {
      await this.guard(new Promise<never>(() => undefined));
    } catch (err) {
      if (!(err instanceof Interrupted)) throw err;
      this.println(this.st.dim(`\n${err.signal}: stopping`));
      return code;
    }
    return code;
  }

  private chooseProviders(): ProviderSpec[] {
    const hasKey = (p: ProviderSpec): boolean => (process.env[p.keyVar] ?? '').trim() !== '';
    if (!this.opts.live) {
      const withKeys = PROVIDERS.filter(hasKey);
      if (withKeys.length) this.println(this.st.dim(`(${withKeys.map((p) => p.keyVar).join(', ')} set: --live would call the real providers)`));
      return [...PROVIDERS];
    }
    const live = PROVIDERS.filter(hasKey);
    if (!live.length) throw new UsageError(`--live needs at least one of ${PROVIDERS.map((p) => p.keyVar).join(', ')} in the environment`);
    return live;
  }

  /** `node scripts/local-services.js up`, its `export` lines read like `eval` would. */
  private async servicesUp(): Promise<{ DATABASE_URL: string; REDIS_URL: string }> {
    const { code, stdout, stderr } = await runNode(['scripts/local-services.js', 'up'], SERVICES_TIMEOUT_MS);
    writeFileSync(join(LOG_DIR, 'services.log'), stderr);
    if (code !== 0) throw new DemoError(`scripts/local-services.js up failed (${code === null ? 'timed out' : `exit code ${code}`}):\n${indent(stderr.trim().split('\n').slice(-12).join('\n'))}`);
    this.servicesStarted = /started throwaway instance/.test(stderr);
    const env = parseExports(stdout);
    if (!env.DATABASE_URL || !env.REDIS_URL) throw new DemoError(`scripts/local-services.js up printed no DATABASE_URL/REDIS_URL:\n${indent(stdout)}`);
    return { DATABASE_URL: env.DATABASE_URL, REDIS_URL: env.REDIS_URL };
  }

  private async startEmulator(): Promise<{ url: string; baseUrls: Record<string, string> }> {
    const port = await freePort();
    const child = this.spawnChild('emulator', 'src/emulator/main.ts', {
      ...process.env,
      EMULATOR_PORT: String(port),
      EMULATOR_HOST: '127.0.0.1',
      EMULATOR_CONFIG: JSON.stringify({ seed: 'geo-demo', providers: { openai: EMULATOR_PROVIDER, perplexity: EMULATOR_PROVIDER, gemini: EMULATOR_PROVIDER } }),
    });
    let listening: { url?: string; baseUrls?: Record<string, string> } | null = null;
    await this.waitFor(
      'the emulator logging "provider emulator listening"',
      EMULATOR_READY_MS,
      async () => {
        const line = child
          .log()
          .split('\n')
          .find((l) => l.includes('provider emulator listening'));
        if (line) listening = JSON.parse(line) as { url?: string; baseUrls?: Record<string, string> };
        return line !== undefined;
      },
      child,
    );
    const info = listening as { url?: string; baseUrls?: Record<string, string> } | null;
    const url = info?.url ?? `http://127.0.0.1:${port}`;
    const baseUrls = info?.baseUrls ?? { openai: `${url}/openai/v1`, perplexity: `${url}/perplexity/v1`, gemini: `${url}/gemini` };
    await this.waitFor('GET /__emulator/health answering 200', 10_000, async () => (await fetch(`${url}/__emulator/health`, { signal: AbortSignal.timeout(2000) })).ok, child);
    return { url, baseUrls };
  }

  private async apiPort(): Promise<number> {
    const preferred = Number(process.env.PORT) || 3000;
    if (await isPortFree(preferred)) return preferred;
    const port = await freePort();
    this.println(this.st.dim(`(port ${preferred} is taken: the API listens on ${port})`));
    return port;
  }

  /** A run an earlier demo left running would compete for the providers' rate limits: cancel it. */
  private async cancelLeftovers(campaignId: string): Promise<void> {
    const api = this.api!;
    let runs: RunSummary[];
    try {
      runs = await this.guard(api.all<RunSummary>(`/api/v1/runs?campaign_id=${campaignId}`));
    } catch (err) {
      if (err instanceof Interrupted || err instanceof ChildDied) throw err;
      throw runsApiHint(err);
    }
    for (const r of runs.filter((x) => x.status === 'running')) {
      try {
        await this.guard(api.request('POST', `/api/v1/runs/${r.id}/cancel`, { expect: [200, 202] }));
        this.println(this.st.dim(`(cancelled run ${r.id}, left running by an earlier demo)`));
      } catch (err) {
        if (err instanceof Interrupted || err instanceof ChildDied) throw err;
        this.println(this.st.yellow(`could not cancel run ${r.id} left by an earlier demo: ${(err as Error).message}`));
      }
    }
  }

  /** Polls the run every 500 ms and draws its progress until it is over. */
  private async follow(id: string, first: RunSummary): Promise<RunSummary> {
    const api = this.api!;
    const t0 = Date.now();
    const deadline = t0 + this.opts.timeoutSeconds * 1000;
    const meter = new RateMeter();
    let summary = first;
    let lastChange = Date.now();
    let lastSignature = '';
    let lastPlain = 0;
    let lastPlainDone = -1;
    let failures = 0;
    let idleHinted = false;
    this.println();
    for (;;) {
      const c = countsOf(summary);
      const now = Date.now();
      meter.add(now, doneOf(c));
      const signature = JSON.stringify(c);
      if (signature !== lastSignature) {
        lastSignature = signature;
        lastChange = now;
      }
      const view: ProgressView = {
        counts: c,
        status: summary.status,
        ratePerSecond: num(summary.throughput_per_min) !== null ? num(summary.throughput_per_min)! / 60 : meter.perSecond(),
        etaSeconds: num(summary.eta_seconds) ?? etaFrom(c, meter.perSecond()),
        elapsedSeconds: (now - t0) / 1000,
      };
      const over = TERMINAL_STATUSES.has(summary.status);
      if (this.tty) {
        process.stdout.write(`\r\x1b[2K${renderBar(view, process.stdout.columns || 100, this.st)}`);
        this.lineOpen = true;
      } else if (over || (doneOf(c) !== lastPlainDone && now - lastPlain >= 2000) || now - lastPlain >= 15_000) {
        this.println(renderPlain(view));
        lastPlain = now;
        lastPlainDone = doneOf(c);
      }
      if (over) {
        if (this.tty) {
          process.stdout.write('\n');
          this.lineOpen = false;
        }
        return summary;
      }

      if (!idleHinted && now - t0 > IDLE_HINT_MS && doneOf(c) === 0 && c.running === 0) {
        idleHinted = true;
        this.println(this.st.yellow(`no item picked up in ${IDLE_HINT_MS / 1000} s (${c.queued} queued, ${c.pending} pending): is the worker consuming the provider queues? See ${relative(process.cwd(), join(LOG_DIR, 'worker.log'))}`));
      }
      if (now - lastChange > STALL_MS) {
        throw new DemoError(`the run made no progress for ${STALL_MS / 1000} s (status ${summary.status}, counts ${signature})`, this.children.find((ch) => ch.name === 'worker'));
      }
      if (now > deadline) throw new DemoError(`the run is not over after ${this.opts.timeoutSeconds} s (--timeout); status ${summary.status}, counts ${signature}`);

      await this.guard(sleep(POLL_MS));
      try {
        summary = await this.guard(api.get<RunSummary>(`/api/v1/runs/${id}`));
        failures = 0;
      } catch (err) {
        if (err instanceof Interrupted || err instanceof ChildDied || err instanceof HttpError) throw err;
        if (++failures >= 10) throw new DemoError(`GET /api/v1/runs/${id} failed 10 times in a row: ${(err as Error).message}`, this.children.find((ch) => ch.name === 'api'));
      }
    }
  }

  private async summarize(run: RunSummary, emulatorUrl: string | null): Promise<void> {
    const api = this.api!;
    const items = await this.guard(api.all<RunItem>(`/api/v1/runs/${run.id}/items`));
    const c = countsOf(run);
    const st = this.st;
    const statusText = run.status === 'completed' ? st.green(run.status) : run.status === 'cancelled' ? st.yellow(run.status) : st.red(run.status);
    const started = run.started_at ? Date.parse(run.started_at) : NaN;
    const finished = run.finished_at ? Date.parse(run.finished_at) : NaN;
    const wall = Number.isFinite(started) && Number.isFinite(finished) ? (finished - started) / 1000 : null;
    const stats = providerStats(items);
    const itemCost = stats.reduce((s, p) => s + p.costUsd, 0);

    this.println();
    this.println(`${st.bold('Run')} ${run.id} ${statusText}${wall !== null ? ` in ${formatDuration(wall)}` : ''}${run.label ? st.dim(` (${run.label})`) : ''}`);
    this.println(
      `  ${c.total} items: ${st.green(`${c.succeeded} succeeded`)}, ${c.failed ? st.red(`${c.failed} failed`) : '0 failed'}, ${c.cancelled} cancelled` +
        `${c.pending + c.queued + c.running ? `, ${c.pending + c.queued + c.running} unfinished` : ''}`,
    );
    const rate = wall && wall > 0 ? `${(doneOf(c) / wall).toFixed(1)} items/s` : null;
    const cacheHits = num(run.cache_hits);
    this.println(`  cost ${money(num(run.cost_usd) ?? itemCost)}${rate ? ` · ${rate}` : ''}${cacheHits !== null ? ` · ${cacheHits} cache hits` : ''} · ${stats.reduce((s, p) => s + p.retries, 0)} retries`);
    if (items.length !== c.total) this.println(st.yellow(`  (the items list has ${items.length} items, the run counts ${c.total})`));
    this.println();
    const anyAnalysis = stats.some((p) => p.analysed > 0);
    const header = ['provider', 'model', 'items', 'ok', 'failed', 'retries', 'p50 ms', 'p95 ms', 'cost', 'citations', ...(anyAnalysis ? ['mentioned'] : [])];
    const rows = stats.map((p) => [
      p.provider,
      p.model,
      String(p.items),
      String(p.succeeded),
      String(p.failed),
      String(p.retries),
      p.latencyP50 === null ? '–' : String(Math.round(p.latencyP50)),
      p.latencyP95 === null ? '–' : String(Math.round(p.latencyP95)),
      money(p.costUsd),
      String(p.citations),
      ...(anyAnalysis ? [p.analysed ? `${Math.round((p.mentioned / p.analysed) * 100)}%` : '–'] : []),
    ]);
    for (const [i, line] of table(header, rows).entries()) this.println(`  ${i === 0 ? st.dim(line) : line}`);

    // Errors: the failed items' last errors, grouped; then what the run reports beyond them.
    const failed = items.filter((i) => i.status === 'failed');
    const groups = new Map<string, number>();
    for (const i of failed) {
      const key = `${i.provider}: ${(i.last_error ?? 'no error recorded').slice(0, 200)}`;
      groups.set(key, (groups.get(key) ?? 0) + 1);
    }
    const failedIds = new Set(failed.map((i) => i.id));
    const reported = (run.errors ?? []).filter((e) => !e.run_item_id || !failedIds.has(e.run_item_id));
    this.println();
    if (!groups.size && !reported.length) this.println(`  errors: ${st.green('none')}`);
    if (groups.size) {
      this.println(`  ${st.red(`errors (${failed.length} failed items):`)}`);
      for (const [msg, n] of [...groups.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8)) this.println(`    ${n}× ${msg}`);
      if (groups.size > 8) this.println(st.dim(`    … ${groups.size - 8} more kinds`));
    }
    if (reported.length) {
      this.println(`  errors reported by the run${groups.size ? ' (other items)' : ''}: ${reported.length}`);
      for (const e of reported.slice(0, 5)) this.println(`    ${e.run_item_id ?? '-'}: ${(e.message ?? '').slice(0, 200)}`);
    }

    await this.visibility(run.id);
    if (emulatorUrl) await this.emulatorStats(emulatorUrl);

    const sample = items.find((i) => i.status === 'succeeded' && i.analysis?.brand_mentioned === true && i.response?.text) ?? items.find((i) => i.status === 'succeeded' && i.response?.text);
    if (sample?.response?.text) {
      const text = sample.response.text.replace(/\s+/g, ' ').trim();
      const domains = [...new Set((sample.response.citations ?? []).map((x) => x.domain ?? x.url ?? '').filter(Boolean))];
      this.println();
      this.println(`  ${st.dim(`one answer (${sample.provider}${sample.question_text ? `, "${sample.question_text}"` : ''}):`)}`);
      this.println(`    ${text.length > 240 ? `${text.slice(0, 240)}…` : text}`);
      if (domains.length) this.println(`    ${st.dim(`cites ${domains.slice(0, 6).join(', ')}`)}`);
    }
  }

  /** The run's visibility metrics by provider (GET /runs/{id}/metrics?by=provider). */
  private async visibility(runId: string): Promise<void> {
    try {
      const m = await this.guard(this.api!.get<RunMetricsResponse>(`/api/v1/runs/${runId}/metrics?by=provider`));
      this.println();
      for (const [i, line] of visibilityTable(m, CAMPAIGN.product_name).entries()) this.println(`  ${i === 0 ? this.st.bold(line) : i === 1 ? this.st.dim(line) : line}`);
    } catch (err) {
      if (err instanceof Interrupted || err instanceof ChildDied) throw err;
      this.println(this.st.yellow(`  visibility metrics unavailable: ${(err as Error).message}`));
    }
  }

  /** What the emulator saw on the wire: one call per item, plus the retries of the faults it injected. */
  private async emulatorStats(url: string): Promise<void> {
    try {
      const res = await this.guard(fetch(`${url}/__emulator/stats`, { signal: AbortSignal.timeout(5000) }));
      if (!res.ok) return;
      const stats = (await res.json()) as { providers?: Record<string, { calls?: number; byStatus?: Record<string, number> }>; total?: { calls?: number } };
      const per = Object.entries(stats.providers ?? {})
        .filter(([, p]) => (p.calls ?? 0) > 0)
        .map(([name, p]) => `${name} ${Object.entries(p.byStatus ?? {}).map(([status, n]) => `${n}×${status}`).join(' ')}`);
      this.println(`  emulator: ${stats.total?.calls ?? 0} calls${per.length ? ` (${per.join('; ')})` : ''}`);
    } catch (err) {
      if (err instanceof Interrupted || err instanceof ChildDied) throw err;
    }
  }

  /** The run's results as CSV (with a BOM, for Excel), XLSX and JSONL in artefacts/demo/ (GET /runs/{id}/results:download). */
  private async downloadResults(runId: string): Promise<void> {
    const api = this.api!;
    const written: string[] = [];
    for (const format of ['csv', 'xlsx', 'jsonl'] as const) {
      try {
        const query = format === 'csv' ? 'format=csv&bom=true' : `format=${format}`;
        const res = await this.guard(fetch(`${api.baseUrl}/api/v1/runs/${runId}/results:download?${query}`, { headers: { 'X-API-Key': api.apiKey }, signal: AbortSignal.timeout(120_000) }));
        if (!res.ok) {
          this.println(this.st.yellow(`  ${format} download answered ${res.status}: ${HttpError.detail(await res.text())}`));
          continue;
        }
        const file = join(LOG_DIR, `run-${runId}.${format}`);
        writeFileSync(file, Buffer.from(await res.arrayBuffer()));
        written.push(relative(process.cwd(), file));
      } catch (err) {
        if (err instanceof Interrupted || err instanceof ChildDied) throw err;
        this.println(this.st.yellow(`  ${format} download failed: ${describeFetchError(err)}`));
      }
    }
    if (written.length) {
      this.println();
      this.println(`  ${this.st.bold('exports')}`);
      for (const f of written) this.println(`    ${f}`);
    }
  }

  // ---- the end ---------------------------------------------------------------

  /** Reports why the demo stopped early; returns the exit code. */
  explain(err: unknown): number {
    this.endLine();
    if (err instanceof Interrupted) {
      this.println(this.st.yellow(`\n${err.signal}: stopping`));
      return 130;
    }
    if (err instanceof UsageError) {
      this.println(`${err.message} (npm run demo -- --help)`);
      return 2;
    }
    const child = err instanceof ChildDied || err instanceof DemoError ? err.child : undefined;
    this.println(this.st.red(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}`));
    if (child) {
      this.println(this.st.dim(`last lines of ${relative(process.cwd(), child.logPath)}:`));
      this.println(indent(child.tail(20) || '(empty)'));
    } else if (!(err instanceof DemoError) && !(err instanceof HttpError) && err instanceof Error && err.stack) {
      this.println(this.st.dim(indent(err.stack.split('\n').slice(1, 6).join('\n'))));
    }
    return 1;
  }

  /** Cancels a run the demo leaves unfinished (Ctrl-C, a failure), stops the children in order, then the services we started. */
  async cleanup(): Promise<void> {
    this.endLine();
    const apiUp = this.children.some((c) => c.name === 'api' && c.running);
    if (this.api && apiUp && this.runId && this.finalStatus === null) {
      try {
        await new ApiClient(this.api.baseUrl, this.api.apiKey, 5000).request('POST', `/api/v1/runs/${this.runId}/cancel`, { expect: [200, 202] });
        this.println(this.st.dim(`run ${this.runId} cancelled`));
      } catch (err) {
        this.println(this.st.yellow(`could not cancel run ${this.runId}: ${(err as Error).message}`));
      }
    }
    // The worker first (it finishes or releases its jobs), then the API and the emulator.
    const alive = this.children.filter((c) => c.running).sort((a, b) => Number(b.name === 'worker') - Number(a.name === 'worker'));
    if (alive.length) {
      this.println(this.st.dim(`stopping ${alive.map((c) => c.name).join(', ')}…`));
      const results: string[] = [];
      const stop = async (c: Child): Promise<void> => {
        const e = await c.stop(STOP_GRACE_MS);
        if (e.code !== 0 && e.signal !== 'SIGTERM') results.push(`${c.name}: ${e.signal ?? `exit code ${e.code}`}`);
      };
      await Promise.all(alive.filter((c) => c.name === 'worker').map(stop));
      await Promise.all(alive.filter((c) => c.name !== 'worker').map(stop));
      this.println(this.st.dim(results.length ? `stopped (${results.join(', ')})` : 'stopped'));
    }
    if (this.servicesStarted) {
      const { code, stderr } = await runNode(['scripts/local-services.js', 'down'], 60_000);
      this.println(this.st.dim(code === 0 ? 'throwaway Postgres and Redis stopped' : `scripts/local-services.js down failed:\n${indent(stderr.trim())}`));
    }
  }

  killAll(): void {
    for (const c of this.children) c.signal('SIGKILL');
  }
}

function etaFrom(c: { total: number; succeeded: number; failed: number; cancelled: number }, rate: number | null): number | null {
  const left = c.total - (c.succeeded + c.failed + c.cancelled);
  if (left <= 0) return 0;
  return rate && rate > 0 ? left / rate : null;
}

function indent(text: string, by = '  '): string {
  return text
    .split('\n')
    .map((l) => by + l)
    .join('\n');
}

/** 404 from the runs routes means this build has no runs API yet: say so. */
function runsApiHint(err: unknown): unknown {
  if (err instanceof HttpError && err.status === 404 && /Cannot (GET|POST)/.test(err.body)) {
    return new DemoError(`${err.message}\n  (this build has no runs API yet: src/runs/runs.controller.ts)`);
  }
  return err;
}

/** Runs a node script of the project, collecting its output; code null on timeout. */
function runNode(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
    }, timeoutMs);
    child.on('error', (err) => {
      stderr += `\n${err.message}`;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: timedOut ? null : code, stdout, stderr });
    });
  });
}

async function main(): Promise<number> {
  let opts: DemoOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  // Like the API and the worker: `.env` in the working directory, variables already set win.
  if (existsSync(join(ROOT, '.env'))) process.loadEnvFile(join(ROOT, '.env'));

  const demo = new Demo(opts);
  process.on('SIGINT', () => demo.onSignal('SIGINT'));
  process.on('SIGTERM', () => demo.onSignal('SIGTERM'));
  process.on('SIGHUP', () => demo.onSignal('SIGHUP'));
  // Whatever happens, no child outlives the demo.
  process.on('exit', () => demo.killAll());

  let code: number;
  try {
    code = await demo.run();
  } catch (err) {
    code = demo.explain(err);
  }
  await demo.cleanup();
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
