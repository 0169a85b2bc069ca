import Redis from 'ioredis';
import type { EmulatorConfigInput, ProviderName } from '../../src/emulator/config';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/emulator';
import type { StatsSnapshot } from '../../src/emulator/stats';
import { adminQuery, databaseUrl } from './schema';
import { spawnEntrypoint, type Spawned } from './spawn-entrypoint';
import { TcpProxy } from './tcp-proxy';
import { createTestApp, type TestApp } from './test-app';
import { emulatorEnv } from './emulator-env';

/**
 * A run end to end, for the reliability suites: the API in process (createTestApp, its own schema
 * and queue prefix), the provider emulator in process, and worker processes spawned from
 * src/worker.ts with the same schema, queue prefix and provider settings. Everything the tests
 * assert is read from the database (as the admin, never through the app) and from the emulator's
 * own counters.
 */

export const RUN_ITEM_STATUSES = ['pending', 'queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type ItemStatus = (typeof RUN_ITEM_STATUSES)[number];
export type ItemCounts = Record<ItemStatus, number> & { total: number };

export const TERMINAL_RUN_STATUSES = ['completed', 'completed_with_errors', 'cancelled'];

/** A model the emulator knows, per provider. */
export const MODELS: Record<ProviderName, string> = {
  openai: 'gpt-5-mini',
  gemini: 'gemini-2.5-flash',
  perplexity: 'perplexity/sonar',
};

const ENV_NAME: Record<ProviderName, string> = { openai: 'OPENAI', gemini: 'GEMINI', perplexity: 'PERPLEXITY' };

export interface ProviderLimits {
  qps: number;
  burst: number;
  concurrency: number;
  timeoutMs?: number;
}

/** P_QPS, P_BURST, P_CONCURRENCY (and P_TIMEOUT_MS) for each provider given. */
export function providerEnv(limits: Partial<Record<ProviderName, ProviderLimits>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [provider, l] of Object.entries(limits) as [ProviderName, ProviderLimits][]) {
    const p = ENV_NAME[provider];
    env[`${p}_QPS`] = String(l.qps);
    env[`${p}_BURST`] = String(l.burst);
    env[`${p}_CONCURRENCY`] = String(l.concurrency);
    if (l.timeoutMs !== undefined) env[`${p}_TIMEOUT_MS`] = String(l.timeoutMs);
  }
  return env;
}

export interface HarnessOptions {
  /** The emulator's start configuration (latency, faults, QPS ceiling). */
  emulator?: EmulatorConfigInput;
  /** Environment shared by the API and every worker (provider limits, run settings). */
  env?: Record<string, string>;
  /** Connect the API and the workers to Postgres through a TcpProxy the test can cut (`dbProxy`). */
  proxyDatabase?: boolean;
}

export interface RunRow {
  id: string;
  status: string;
  total_items: number;
  started_at: Date | null;
  finished_at: Date | null;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class RunsHarness {
  readonly workers: Spawned[] = [];
  private readonly started = Date.now();

  private constructor(
    readonly api: TestApp,
    readonly emulator: EmulatorHandle,
    /** QUEUE_PREFIX of the API and the workers: every Redis key of this harness starts with `${prefix}:`. */
    readonly prefix: string,
    /** The environment every worker gets (before its own extras). */
    private readonly workerBaseEnv: Record<string, string>,
    /** The direct database URL (the admin's), never the proxy. */
    private readonly adminUrl: string,
    readonly dbProxy?: TcpProxy,
  ) {}

  static async start(file: string, opts: HarnessOptions = {}): Promise<RunsHarness> {
    const adminUrl = databaseUrl();
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const emulator = await startEmulator({ port: 0, ...opts.emulator });
    let dbProxy: TcpProxy | undefined;
    try {
      dbProxy = opts.proxyDatabase ? await TcpProxy.forUrl(adminUrl, 5432).start() : undefined;
      const appDatabaseUrl = dbProxy ? dbProxy.urlFor(adminUrl) : adminUrl;
      const shared: Record<string, string> = {
        DATABASE_URL: appDatabaseUrl,
        REDIS_URL: redisUrl,
        ...emulatorEnv(emulator),
        ...(dbProxy ? { DB_CONNECT_TIMEOUT_MS: '1000' } : {}),
        ...opts.env,
      };
      const api = await createTestApp(file, { env: shared });
      const prefix = process.env.QUEUE_PREFIX!;
      const workerBaseEnv: Record<string, string> = {
        ...shared,
        DB_SCHEMA: api.schema,
        QUEUE_PREFIX: prefix,
        DB_COMPAT_MODE: 'false',
        USE_JSONB: 'true',
        DB_APPLY_MIGRATIONS: 'false',
        DB_POOL_SIZE: '4',
        DB_POOL_MAX_OVERFLOW: '4',
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        SHUTDOWN_TIMEOUT_MS: '5000',
        API_KEYS: process.env.API_KEYS ?? 'test-key-0123456789',
      };
      return new RunsHarness(api, emulator, prefix, workerBaseEnv, adminUrl, dbProxy);
    } catch (err) {
      await emulator.close();
      await dbProxy?.stop();
      throw err;
    }
  }

  get schema(): string {
    return this.api.schema;
  }

  /** A table of this harness' schema, quoted. */
  table(name: string): string {
    return `"${this.schema}"."${name}"`;
  }

  /** SQL as the admin, on the direct connection (works while the app's proxy is cut). */
  sql<T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> {
    return adminQuery<T>(query, params, this.adminUrl);
  }

  /** Starts a worker process with the harness' environment and waits until it says it is ready. */
  async spawnWorker(extra: Record<string, string> = {}): Promise<Spawned> {
    const w = spawnEntrypoint('worker', { ...this.workerBaseEnv, ...extra });
    this.workers.push(w);
    await w.waitFor(/worker started/, 90_000);
    return w;
  }

  /** SIGKILL: the process gets no chance to release anything. Resolves once it is gone. */
  async kill(w: Spawned): Promise<void> {
    w.child.kill('SIGKILL');
    await w.exited;
  }

  /**
   * Imports `count` questions into a new campaign through POST /question-sets:import (JSON Lines),
   * spread over 5 topics and 3 personas. The texts depend only on `tag` and the index, so the
   * emulator's seeded faults repeat from run to run.
   */
  async seedQuestions(count: number, tag = 'reliability'): Promise<{ campaignId: string; questions: number }> {
    const campaign = `Acme CRM ${tag}`;
    const lines = Array.from({ length: count }, (_, i) =>
      JSON.stringify({
        campaign,
        topic: `Topic ${i % 5}`,
        persona: { name: `Persona ${i % 3}`, role: ['CTO', 'COO', 'Head of Sales'][i % 3] },
        question: `Which CRM should a team of ${i + 2} people choose for workflow ${tag} ${i}?`,
      }),
    );
    const res = await this.api.http.post('/api/v1/question-sets:import').set(this.api.auth).set('Content-Type', 'application/x-ndjson').send(lines.join('\n'));
    if (res.status !== 200 || res.body.imported !== count) throw new Error(`import: ${res.status} ${JSON.stringify(res.body).slice(0, 1000)}`);
    const [row] = await this.sql<{ id: string }>(`SELECT id FROM ${this.table('campaigns')} WHERE name = $1`, [campaign]);
    if (!row) throw new Error(`campaign ${campaign} not found after import`);
    return { campaignId: row.id, questions: count };
  }

  /** POST /runs with one setting per provider (one sample each); returns the run id. */
  async createRun(campaignId: string, providers: readonly ProviderName[], extra: Record<string, unknown> = {}): Promise<string> {
    const res = await this.api.http
      .post('/api/v1/runs')
      .set(this.api.auth)
      .send({ campaign_id: campaignId, label: 'reliability', providers: providers.map((p) => ({ provider: p, model: MODELS[p] })), samples: 1, ...extra });
    if (res.status !== 201) throw new Error(`POST /runs: ${res.status} ${JSON.stringify(res.body).slice(0, 1000)}`);
    return (res.body as { id: string }).id;
  }

  /** POST /runs/{id}/start (202). */
  async startRun(runId: string): Promise<Record<string, unknown>> {
    const res = await this.api.http.post(`/api/v1/runs/${runId}/start`).set(this.api.auth);
    if (res.status !== 202) throw new Error(`POST /runs/${runId}/start: ${res.status} ${JSON.stringify(res.body).slice(0, 1000)}`);
    return res.body as Record<string, unknown>;
  }

  /** GET /runs/{id} (the API's summary). */
  async summary(runId: string): Promise<{ status: string; counts: ItemCounts } & Record<string, unknown>> {
    const res = await this.api.http.get(`/api/v1/runs/${runId}`).set(this.api.auth);
    if (res.status !== 200) throw new Error(`GET /runs/${runId}: ${res.status} ${JSON.stringify(res.body).slice(0, 1000)}`);
    return res.body as { status: string; counts: ItemCounts };
  }

  async run(runId: string): Promise<RunRow> {
    const [row] = await this.sql<RunRow>(`SELECT id, status, total_items, started_at, finished_at FROM ${this.table('runs')} WHERE id = $1`, [runId]);
    if (!row) throw new Error(`run ${runId} not in the database`);
    return row;
  }

  /** Item counts by status, from the database. */
  async itemCounts(runId: string, provider?: ProviderName): Promise<ItemCounts> {
    const rows = await this.sql<{ status: ItemStatus; n: string }>(
      `SELECT status, count(*) AS n FROM ${this.table('run_items')} WHERE run_id = $1 AND ($2::text IS NULL OR provider = $2) GROUP BY status`,
      [runId, provider ?? null],
    );
    const counts = Object.fromEntries(RUN_ITEM_STATUSES.map((s) => [s, 0])) as ItemCounts;
    counts.total = 0;
    for (const r of rows) {
      counts[r.status] = Number(r.n);
      counts.total += Number(r.n);
    }
    return counts;
  }

  /** Responses of a run: rows, distinct run items, and rows whose item is not succeeded or succeeded items with no row. */
  async responseCounts(runId: string): Promise<{ rows: number; distinctItems: number; mismatched: number }> {
    const [r] = await this.sql<{ rows: string; items: string }>(
      `SELECT count(*) AS rows, count(DISTINCT run_item_id) AS items FROM ${this.table('responses')} WHERE run_id = $1`,
      [runId],
    );
    const [m] = await this.sql<{ n: string }>(
      `SELECT count(*) AS n FROM ${this.table('run_items')} i
         LEFT JOIN (SELECT DISTINCT run_item_id FROM ${this.table('responses')}) r ON r.run_item_id = i.id
        WHERE i.run_id = $1 AND ((i.status = 'succeeded') <> (r.run_item_id IS NOT NULL))`,
      [runId],
    );
    return { rows: Number(r.rows), distinctItems: Number(r.items), mismatched: Number(m.n) };
  }

  /** Waits until at least `atLeast` items of the run have `status`. */
  async waitForItems(runId: string, status: ItemStatus, atLeast: number, ms = 60_000): Promise<ItemCounts> {
    const deadline = Date.now() + ms;
    for (;;) {
      const counts = await this.itemCounts(runId);
      if (counts[status] >= atLeast) return counts;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${atLeast} ${status} items: ${JSON.stringify(counts)}\n${this.diagnostics()}`);
      await sleep(50);
    }
  }

  /** Waits for a terminal run status (in the database), with a deadline. */
  async waitForTerminal(runId: string, ms: number): Promise<RunRow> {
    const deadline = Date.now() + ms;
    for (;;) {
      const run = await this.run(runId);
      if (TERMINAL_RUN_STATUSES.includes(run.status)) return run;
      if (Date.now() > deadline) {
        const counts = await this.itemCounts(runId);
        throw new Error(`run ${runId} still ${run.status} after ${ms} ms: items ${JSON.stringify(counts)}\n${this.diagnostics()}`);
      }
      await sleep(250);
    }
  }

  /** Keys under the harness' queue prefix. */
  async redisKeys(): Promise<string[]> {
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    try {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await redis.scan(cursor, 'MATCH', `${this.prefix}:*`, 'COUNT', 1000);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
      return keys;
    } finally {
      redis.disconnect();
    }
  }

  stats(): StatsSnapshot {
    return this.emulator.stats();
  }

  /** Provider calls the emulator has answered (or seen end: timeouts, clients gone), all providers. */
  answeredCalls(): number {
    return Object.values(this.stats().providers).reduce((n, s) => n + Object.values(s.byStatus).reduce((a, b) => a + b, 0), 0);
  }

  /** Provider calls received and not answered yet. */
  openCalls(): number {
    return this.stats().total.calls - this.answeredCalls();
  }

  /** Polls a condition every few ms (for in-process conditions such as the emulator's open calls). */
  async until(what: string, condition: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${this.diagnostics()}`);
      await sleep(2);
    }
  }

  /** What to print when something went wrong: the emulator's counters and each worker's last output. */
  diagnostics(): string {
    const parts = [`after ${Date.now() - this.started} ms; emulator stats: ${JSON.stringify(this.stats().providers)}`];
    this.workers.forEach((w, i) => {
      const state = w.child.exitCode !== null || w.child.signalCode !== null ? `exited ${w.child.exitCode ?? w.child.signalCode}` : 'running';
      const tail = w
        .output()
        .split('\n')
        .filter((l) => /"level":(40|50|60)|error|warn|fatal/i.test(l))
        .slice(-15)
        .join('\n');
      parts.push(`--- worker ${i} (pid ${w.child.pid}, ${state}), last warnings/errors:\n${tail || '(none)'}`);
    });
    return parts.join('\n');
  }

  /** Workers stopped (SIGTERM, then SIGKILL), proxy restored, API closed (schema and Redis prefix dropped), emulator closed. */
  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        if (w.child.exitCode !== null || w.child.signalCode !== null) return;
        w.child.kill('SIGTERM');
        const timer = setTimeout(() => w.child.kill('SIGKILL'), 10_000);
        await w.exited;
        clearTimeout(timer);
      }),
    );
    try {
      await this.dbProxy?.start();
      await this.api.close();
    } finally {
      await this.emulator.close();
      await this.dbProxy?.stop();
    }
  }
}
