import type { ProviderName } from '../src/emulator/config';
import { dropRedisPrefix } from './helpers/schema';
import { ItemCounts, providerEnv, RunsHarness, sleep } from './helpers/runs-harness';

/**
 * The reliability bar for runs (docs: quality-bar.md, "Reliability"), end to end: the real API in
 * process, real worker processes, the real Postgres and Redis (cut or emptied only through this
 * test's own proxy and queue prefix) and the provider emulator. Every figure asserted comes from
 * the database (as the admin) or from the emulator's counters, never from the app's own account.
 */

const LATENCY = { min: 30, max: 80 };

/** RUNS_RELIABILITY_REPORT=1 prints each scenario's figures (item counts, provider calls) as one JSON line. */
function report(scenario: string, h: RunsHarness, figures: Record<string, unknown>): void {
  if (process.env.RUNS_RELIABILITY_REPORT !== '1') return;
  const calls = Object.fromEntries(Object.entries(h.stats().providers).map(([p, s]) => [p, { calls: s.calls, byStatus: s.byStatus, maxPerSecond: s.maxPerSecond, qpsViolations: s.qpsViolations }]));
  process.stdout.write(`${JSON.stringify({ scenario, ...figures, emulator: calls })}\n`);
}

/** Each item of the run is in a final state with a matching response row; nothing is left behind. */
async function expectEveryItemAnswered(h: RunsHarness, runId: string, items: number): Promise<ItemCounts> {
  const counts = await h.itemCounts(runId);
  expect(counts).toEqual({ total: items, pending: 0, queued: 0, running: 0, succeeded: items, failed: 0, cancelled: 0 });
  const responses = await h.responseCounts(runId);
  expect(responses).toEqual({ rows: items, distinctItems: items, mismatched: 0 });
  return counts;
}

/** Provider calls the emulator received per provider, and the bound they must stay within. */
function expectCallsWithin(h: RunsHarness, providers: readonly ProviderName[], perProvider: number, extra: number): void {
  const stats = h.stats().providers;
  for (const p of providers) {
    const calls = stats[p].calls;
    // Every item was asked at least once; beyond that, only what was in flight may have been repeated.
    expect({ provider: p, atLeast: calls >= perProvider, withinBound: calls <= perProvider + extra, calls, bound: perProvider + extra }).toEqual({
      provider: p,
      atLeast: true,
      withinBound: true,
      calls,
      bound: perProvider + extra,
    });
  }
}

describe('runs: reliability', () => {
  describe('a worker killed with SIGKILL in the middle of a run', () => {
    const PROVIDERS: ProviderName[] = ['openai', 'gemini'];
    // The quality bar's 2,000-item run.
    const QUESTIONS = 1000;
    const ITEMS = QUESTIONS * PROVIDERS.length;
    const CONCURRENCY = 4;
    let h: RunsHarness;

    beforeAll(async () => {
      h = await RunsHarness.start(__filename, {
        emulator: { providers: { openai: { latencyMs: LATENCY }, gemini: { latencyMs: LATENCY } } },
        env: {
          ...providerEnv({ openai: { qps: 1000, burst: 1000, concurrency: CONCURRENCY }, gemini: { qps: 1000, burst: 1000, concurrency: CONCURRENCY } }),
          WORKER_STALLED_INTERVAL_MS: '2000',
          WORKER_LOCK_DURATION_MS: '4000',
        },
      });
    }, 120_000);
    afterAll(async () => h?.close(), 60_000);

    it('completes with exactly one response per item, and repeats no more provider calls than the killed worker had in flight', async () => {
      const [victim] = await Promise.all([h.spawnWorker(), h.spawnWorker()]);
      const { campaignId } = await h.seedQuestions(QUESTIONS, 'sigkill');
      const runId = await h.createRun(campaignId, PROVIDERS);
      await h.startRun(runId);
      expect((await h.run(runId)).total_items).toBe(ITEMS);

      const atKill = await h.waitForItems(runId, 'succeeded', Math.round(ITEMS * 0.3), 90_000);
      await h.kill(victim);
      // The kill landed mid-run, with items claimed (running) that only a stalled-job check can give back.
      expect(atKill.succeeded).toBeLessThan(ITEMS * 0.8);
      expect(atKill.running).toBeGreaterThan(0);
      const replacement = h.spawnWorker();

      const run = await h.waitForTerminal(runId, 120_000);
      report('sigkill', h, { items: ITEMS, succeededAtKill: atKill.succeeded, run: run.status, counts: await h.itemCounts(runId), responses: await h.responseCounts(runId) });
      await replacement;
      expect(run.status).toBe('completed');
      await expectEveryItemAnswered(h, runId, ITEMS);
      const stats = h.stats();
      // Calls whose client went away (the victim's open calls; how many depends on the moment): never more than it could hold.
      const aborted = PROVIDERS.reduce((n, p) => n + (stats.providers[p].byStatus.aborted ?? 0), 0);
      expect(aborted).toBeLessThanOrEqual(CONCURRENCY * PROVIDERS.length);
      expectCallsWithin(h, PROVIDERS, QUESTIONS, CONCURRENCY);
      expect(stats.total.calls).toBeLessThanOrEqual(ITEMS + CONCURRENCY * PROVIDERS.length);
      expect((await h.summary(runId)).counts).toMatchObject({ total: ITEMS, succeeded: ITEMS, failed: 0 });
    }, 240_000);
  });

  describe('Redis emptied in the middle of a run', () => {
    const PROVIDERS: ProviderName[] = ['openai', 'gemini'];
    const QUESTIONS = 150;
    const ITEMS = QUESTIONS * PROVIDERS.length;
    const CONCURRENCY = 4;
    let h: RunsHarness;

    beforeAll(async () => {
      h = await RunsHarness.start(__filename, {
        emulator: { providers: { openai: { latencyMs: LATENCY }, gemini: { latencyMs: LATENCY } } },
        env: {
          ...providerEnv({ openai: { qps: 1000, burst: 1000, concurrency: CONCURRENCY }, gemini: { qps: 1000, burst: 1000, concurrency: CONCURRENCY } }),
          RECONCILE_INTERVAL_MS: '1000',
          WORKER_STALLED_INTERVAL_MS: '2000',
          WORKER_LOCK_DURATION_MS: '4000',
        },
      });
    }, 120_000);
    afterAll(async () => h?.close(), 60_000);

    it('the reconciler re-enqueues what Redis lost; the run completes with one response per item', async () => {
      const worker = await h.spawnWorker();
      const { campaignId } = await h.seedQuestions(QUESTIONS, 'redis-empty');
      const runId = await h.createRun(campaignId, PROVIDERS);
      await h.startRun(runId);

      await h.waitForItems(runId, 'succeeded', Math.round(ITEMS * 0.3), 90_000);
      await dropRedisPrefix(h.prefix);
      const atWipe = await h.itemCounts(runId);
      // Work was lost with the keys: items the database holds as queued had their jobs in the deleted wait lists.
      expect(atWipe.queued).toBeGreaterThan(0);

      const run = await h.waitForTerminal(runId, 120_000);
      report('redis-emptied', h, { items: ITEMS, atWipe, run: run.status, counts: await h.itemCounts(runId), responses: await h.responseCounts(runId) });
      expect(run.status).toBe('completed');
      expect(worker.child.exitCode).toBeNull();
      await expectEveryItemAnswered(h, runId, ITEMS);
      // Only the calls open when the keys went (the worker's concurrency) may have been asked twice.
      expectCallsWithin(h, PROVIDERS, QUESTIONS, CONCURRENCY);
      expect((await h.summary(runId)).counts).toMatchObject({ total: ITEMS, succeeded: ITEMS, failed: 0 });
    }, 240_000);
  });

  describe('Postgres cut in the middle of a run', () => {
    const PROVIDERS: ProviderName[] = ['openai', 'gemini'];
    const QUESTIONS = 150;
    const ITEMS = QUESTIONS * PROVIDERS.length;
    const CONCURRENCY = 4;
    const CUT_MS = 4000;
    let h: RunsHarness;
    let warn: jest.SpyInstance;

    beforeAll(async () => {
      // The in-process API's pool reports the connections the cut kills; expected here, so kept out of the output.
      const original = console.warn.bind(console);
      warn = jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
        if (!/Postgres pool raised an error/.test(String(args[0]))) original(...args);
      });
      h = await RunsHarness.start(__filename, {
        proxyDatabase: true,
        emulator: { providers: { openai: { latencyMs: LATENCY }, gemini: { latencyMs: LATENCY } } },
        env: {
          ...providerEnv({ openai: { qps: 1000, burst: 1000, concurrency: CONCURRENCY }, gemini: { qps: 1000, burst: 1000, concurrency: CONCURRENCY } }),
          RECONCILE_INTERVAL_MS: '2000',
          WORKER_STALLED_INTERVAL_MS: '2000',
          WORKER_LOCK_DURATION_MS: '4000',
        },
      });
    }, 120_000);
    afterAll(async () => {
      await h?.close();
      warn.mockRestore();
    }, 60_000);

    it('/healthz says 503 while it is down; workers retry their writes; paid answers are not requested again; the run completes', async () => {
      const worker = await h.spawnWorker();
      const { campaignId } = await h.seedQuestions(QUESTIONS, 'pg-cut');
      const runId = await h.createRun(campaignId, PROVIDERS);
      await h.startRun(runId);

      await h.waitForItems(runId, 'succeeded', Math.round(ITEMS * 0.3), 90_000);
      // Cut while provider calls are open, so that answers arrive that cannot be written.
      await h.until('an open provider call', () => h.openCalls() > 0, 30_000);
      const answeredAtCut = h.answeredCalls();
      const cutAt = Date.now();
      await h.dbProxy!.cut();
      const health = await h.api.http.get('/healthz');
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({ checks: { db: 'down', redis: 'up' } });
      await sleep(CUT_MS - (Date.now() - cutAt));
      const duringCut = await h.itemCounts(runId);
      // Answers paid for while the database was away (the calls open at the cut).
      const paidDuringCut = h.answeredCalls() - answeredAtCut;
      expect(paidDuringCut).toBeGreaterThan(0);
      await h.dbProxy!.start();

      const run = await h.waitForTerminal(runId, 120_000);
      report('postgres-cut', h, { items: ITEMS, duringCut, paidDuringCut, run: run.status, counts: await h.itemCounts(runId), responses: await h.responseCounts(runId) });
      expect(run.status).toBe('completed');
      expect(worker.child.exitCode).toBeNull();
      expect(duringCut.succeeded).toBeLessThan(ITEMS);
      await expectEveryItemAnswered(h, runId, ITEMS);
      // The emulator stayed up, so every call made (those in flight at the cut included) was answered and
      // its answer kept in Redis: a retried write stores it without a new call. Exactly one call per item.
      expectCallsWithin(h, PROVIDERS, QUESTIONS, 0);
      expect((await h.api.http.get('/healthz')).status).toBe(200);
      expect((await h.summary(runId)).counts).toMatchObject({ total: ITEMS, succeeded: ITEMS, failed: 0 });
    }, 240_000);
  });

  describe('provider chaos (429 with Retry-After, 5xx, timeouts, malformed bodies) under a QPS ceiling', () => {
    const PROVIDERS: ProviderName[] = ['openai', 'gemini', 'perplexity'];
    const QUESTIONS = 30;
    const ITEMS = QUESTIONS * PROVIDERS.length;
    const QPS = 10;
    const BURST = 1;
    /**
     * The quality bar's contract: never more than QPS·t + burst calls in any window of t seconds;
     * for one sliding second, QPS + burst. The bucket holds that exactly in Redis' clock (see
     * test/rate-limiter.e2e-spec.ts); calls then reach the provider with some ms of jitter (two
     * workers, a loaded event loop), so a sliding second at the provider sees at most one call
     * more now and then. Set P_QPS a little under a provider's hard per-second limit.
     */
    const JITTER_ALLOWANCE = 1;
    const CEILING = QPS + BURST + JITTER_ALLOWANCE;
    const ATTEMPTS = 3;
    const faults = { rate429: 0.1, retryAfterSeconds: 1, rate5xx: 0.1, status5xx: 503 as const, rateTimeout: 0.05, timeoutHoldMs: 5000, rateMalformed: 0.05 };
    const limits = { qps: QPS, burst: BURST, concurrency: 4, timeoutMs: 1500 };
    let h: RunsHarness;

    beforeAll(async () => {
      h = await RunsHarness.start(__filename, {
        emulator: {
          providers: {
            openai: { latencyMs: { min: 20, max: 60 }, qps: CEILING, faults },
            gemini: { latencyMs: { min: 20, max: 60 }, qps: CEILING, faults },
            perplexity: { latencyMs: { min: 20, max: 60 }, qps: CEILING, faults },
          },
        },
        env: {
          ...providerEnv({ openai: limits, gemini: limits, perplexity: limits }),
          RUN_ITEM_ATTEMPTS: String(ATTEMPTS),
          RUN_RETRY_BASE_MS: '200',
          RUN_RETRY_MAX_MS: '2000',
          PROVIDER_BREAKER_COOLDOWN_MS: '1000',
          RECONCILE_INTERVAL_MS: '5000',
        },
      });
    }, 120_000);
    afterAll(async () => h?.close(), 60_000);

    it('every item ends succeeded or failed with its error recorded, none stuck, and the QPS ceiling is never crossed across two workers', async () => {
      await Promise.all([h.spawnWorker(), h.spawnWorker()]);
      const { campaignId } = await h.seedQuestions(QUESTIONS, 'chaos');
      const runId = await h.createRun(campaignId, PROVIDERS);
      await h.startRun(runId);

      const run = await h.waitForTerminal(runId, 150_000);
      const counts = await h.itemCounts(runId);
      report('chaos', h, { items: ITEMS, run: run.status, counts, responses: await h.responseCounts(runId) });
      expect(counts).toMatchObject({ total: ITEMS, pending: 0, queued: 0, running: 0, cancelled: 0 });
      expect(counts.succeeded + counts.failed).toBe(ITEMS);
      expect(run.status).toBe(counts.failed > 0 ? 'completed_with_errors' : 'completed');

      const failed = await h.sql<{ id: string; last_error: string | null }>(`SELECT id, last_error FROM ${h.table('run_items')} WHERE run_id = $1 AND status = 'failed'`, [runId]);
      expect(failed.filter((f) => !f.last_error?.trim())).toEqual([]);
      const responses = await h.responseCounts(runId);
      expect(responses).toEqual({ rows: counts.succeeded, distinctItems: counts.succeeded, mismatched: 0 });

      const stats = h.stats();
      for (const p of PROVIDERS) {
        // Each succeeded item got a 200 from its provider.
        expect(stats.providers[p].byStatus['200'] ?? 0).toBeGreaterThanOrEqual(await h.itemCounts(runId, p).then((c) => c.succeeded));
      }
      // The chaos really happened: every kind of fault was served at least once.
      const served = (status: string): number => PROVIDERS.reduce((n, p) => n + (stats.providers[p].byStatus[status] ?? 0), 0);
      expect({ '429': served('429') > 0, '503': served('503') > 0, timeout: served('timeout') > 0 }).toEqual({ '429': true, '503': true, timeout: true });
      const summary = await h.summary(runId);
      expect(summary.counts).toMatchObject({ total: ITEMS, succeeded: counts.succeeded, failed: counts.failed });

      // Rate limits held: the emulator's ceiling (QPS + burst in any sliding second, plus the jitter
      // allowance) never had to refuse a request, for any provider, with both workers sharing the bucket.
      expect(PROVIDERS.map((p) => ({ provider: p, qpsViolations: stats.providers[p].qpsViolations, maxPerSecond: stats.providers[p].maxPerSecond }))).toEqual(
        PROVIDERS.map((p) => ({ provider: p, qpsViolations: 0, maxPerSecond: Math.min(CEILING, stats.providers[p].maxPerSecond) })),
      );
    }, 240_000);
  });
});
