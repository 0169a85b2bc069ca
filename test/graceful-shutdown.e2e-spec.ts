import http from 'node:http';
import type { ProviderName } from '../src/emulator/config';
import { rawRequest, RawHttpError } from './helpers/raw-http';
import { providerEnv, RunsHarness, sleep } from './helpers/runs-harness';
import { adminQuery, databaseUrl, dropRedisPrefix, dropSchema, uniqueSchema } from './helpers/schema';
import { spawnEntrypoint, type Spawned } from './helpers/spawn-entrypoint';
import { freePort } from './helpers/free-port';

/**
 * The quality bar's SIGTERM item ("Reliability"): the API stops taking requests and finishes those
 * in flight; the worker finishes or releases its jobs; nothing is left half-written. Both run as
 * real processes (src/main.ts and src/worker.ts, as process.e2e-spec starts them), under load.
 * Every figure asserted comes from the wire, the database (as the admin) or the emulator's counters.
 */

const API_KEY = 'graceful-shutdown-key-123';
/** The processes' SHUTDOWN_TIMEOUT_MS, and what an exit may take beyond it (process teardown on a busy machine). */
const SHUTDOWN_TIMEOUT_MS = 10_000;
const EXIT_MARGIN_MS = 5_000;
/** How long before SIGTERM the slow requests send their headers (the rest of their body comes 300 ms after it). */
const SLOW_LEAD_MS = 1_000;
/** A load request may be slow on a loaded machine; only a process that never exits should end one this way. */
const LOAD_REQUEST_TIMEOUT_MS = 120_000;

/** Resolves with the exit, or with null when it has not come within `ms`. */
async function exitWithin(p: Spawned, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    return await Promise.race([p.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

type Outcome = {
  client: number;
  kind: 'get' | 'post' | 'slow-post';
  name?: string;
  /** ms relative to SIGTERM (negative: before). */
  sentAt: number;
  endedAt: number;
  /**
   * complete: a whole answer; cut: headers came, the body did not end; none: no response headers at
   * all (refused, or reset on a kept-alive connection the server closed as idle before reading the
   * request). A "none" was never accepted; the database check shows whether one was processed anyway.
   */
  result: 'complete' | 'cut' | 'none';
  status?: number;
  code?: string;
  /** Why a complete answer is not a well-formed one. */
  malformed?: string;
};

/** Whether a complete answer is what the route promises (or a 503 problem). */
function malformation(kind: Outcome['kind'], name: string | undefined, status: number, type: string, text: string): string | undefined {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return `status ${status}, body is not JSON (${text.length} bytes): ${text.slice(0, 120)}`;
  }
  if (status === 503) return /^application\/problem\+json/.test(type) && body.status === 503 ? undefined : `503 that is not a problem: ${text.slice(0, 200)}`;
  if (kind === 'get') return status === 200 && Array.isArray(body.items) && typeof body.total === 'number' ? undefined : `GET answered ${status}: ${text.slice(0, 200)}`;
  return status === 201 && typeof body.id === 'string' && body.name === name ? undefined : `POST answered ${status}: ${text.slice(0, 200)}`;
}

describe('graceful shutdown (SIGTERM) under load', () => {
  describe('the API process', () => {
    const schema = uniqueSchema(__filename);
    const prefix = `test-${schema}`;
    const CLIENTS = 50;
    let api: Spawned | undefined;

    afterAll(async () => {
      api?.child.kill('SIGKILL');
      await dropSchema(schema);
      await dropRedisPrefix(prefix);
    });

    it('finishes every accepted request whole, refuses new ones without hanging, exits 0 in time, and loses or invents no write', async () => {
      const port = await freePort();
      api = spawnEntrypoint('main', {
        DATABASE_URL: databaseUrl(),
        DB_SCHEMA: schema,
        DB_APPLY_MIGRATIONS: 'true',
        QUEUE_PREFIX: prefix,
        API_KEYS: API_KEY,
        API_RATE_LIMIT_PER_MINUTE: '0',
        PORT: String(port),
        HOST: '127.0.0.1',
        SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      });
      const p = api;
      await p.waitFor(/API listening/, 120_000);

      let sigtermAt = Number.POSITIVE_INFINITY;
      const loadStartedAt = Date.now();
      const rel = (): number => Date.now() - (Number.isFinite(sigtermAt) ? sigtermAt : loadStartedAt + 1e6);
      let exited = false;
      void p.exited.then(() => (exited = true));
      const outcomes: Outcome[] = [];
      let inFlight = 0;
      const headers = { 'X-API-Key': API_KEY, 'Content-Type': 'application/json' };

      /** One request of a load client, recorded; false when the client should stop (its connection is gone). */
      const one = async (client: number, i: number, agent: http.Agent): Promise<boolean> => {
        const kind: Outcome['kind'] = i % 2 === 0 ? 'post' : 'get';
        const name = kind === 'post' ? `gs-${client}-${i}` : undefined;
        const sentAt = rel();
        inFlight++;
        try {
          const res = await rawRequest(port, {
            method: kind === 'post' ? 'POST' : 'GET',
            path: kind === 'post' ? '/api/v1/campaigns' : '/api/v1/campaigns?limit=5',
            headers: { ...headers, 'X-Request-Id': `${name ?? `get-${client}-${i}`}` },
            body: kind === 'post' ? JSON.stringify({ name, product_name: 'Acme CRM', brand_aliases: ['Acme'] }) : undefined,
            agent,
            retryStaleSocket: false,
            // Slow answers under load are not the point here; a process that does not exit is (it is killed below).
            timeoutMs: LOAD_REQUEST_TIMEOUT_MS,
          });
          outcomes.push({ client, kind, name, sentAt, endedAt: rel(), result: 'complete', status: res.status, malformed: malformation(kind, name, res.status, String(res.headers['content-type'] ?? ''), res.text) });
          return true;
        } catch (err) {
          const e = err as RawHttpError;
          outcomes.push({ client, kind, name, sentAt, endedAt: rel(), result: e.phase === 'response' ? 'cut' : 'none', status: e.status, code: e.code });
          return false;
        } finally {
          inFlight--;
        }
      };

      // 50 keep-alive clients, each on its own connection, alternating POST (unique names) and GET.
      const agents = Array.from({ length: CLIENTS }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
      const clients = agents.map(async (agent, client) => {
        for (let i = 0; !exited; i++) {
          if (!(await one(client, i, agent))) {
            if (Number.isFinite(sigtermAt)) break;
            await sleep(50);
          }
        }
      });

      // Requests whose body is still arriving when SIGTERM comes (as in process.e2e-spec).
      const slowPost = (n: number): Promise<void> =>
        new Promise<void>((resolve) => {
          const name = `gs-slow-${n}`;
          const body = JSON.stringify({ name });
          const sentAt = rel();
          const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/api/v1/campaigns', headers: { ...headers, 'X-Request-Id': name, 'Content-Length': Buffer.byteLength(body) }, agent: false }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (text += c));
            res.on('end', () => {
              outcomes.push({ client: -1, kind: 'slow-post', name, sentAt, endedAt: rel(), result: 'complete', status: res.statusCode, malformed: malformation('slow-post', name, res.statusCode ?? 0, String(res.headers['content-type'] ?? ''), text) });
              resolve();
            });
            res.on('aborted', () => {
              outcomes.push({ client: -1, kind: 'slow-post', name, sentAt, endedAt: rel(), result: 'cut', status: res.statusCode });
              resolve();
            });
          });
          req.on('error', (e: NodeJS.ErrnoException) => {
            if (outcomes.some((o) => o.name === name)) return;
            outcomes.push({ client: -1, kind: 'slow-post', name, sentAt, endedAt: rel(), result: 'none', code: e.code });
            resolve();
          });
          req.write(body.slice(0, 4));
          setTimeout(() => req.end(body.slice(4)), SLOW_LEAD_MS + 300);
        });

      // Load until it is well under way, then SIGTERM with requests in flight.
      while (outcomes.filter((o) => o.status === 201).length < 100 && Date.now() - loadStartedAt < 60_000) await sleep(50);
      // (Their headers go a second ahead, so that even a loaded server has read them: they are in flight, not queued.)
      const slow = [0, 1, 2].map(slowPost);
      await sleep(SLOW_LEAD_MS);
      const inFlightAtSigterm = inFlight;
      sigtermAt = Date.now();
      p.child.kill('SIGTERM');

      // New connections after shutdown has begun: each is refused, or answered, never left hanging.
      const probes: { at: number; result: string; status?: number; ms: number }[] = [];
      const prober = (async () => {
        while (!exited) {
          const at = rel();
          const t0 = Date.now();
          try {
            const res = await rawRequest(port, { method: 'GET', path: '/api/v1/campaigns?limit=1', headers, agent: false, retryStaleSocket: false, timeoutMs: SHUTDOWN_TIMEOUT_MS + EXIT_MARGIN_MS });
            probes.push({ at, result: 'answered', status: res.status, ms: Date.now() - t0 });
          } catch (err) {
            const e = err as RawHttpError;
            probes.push({ at, result: e.code === 'ETIMEDOUT' ? 'hung' : `${e.phase}:${e.code ?? e.message}`, status: e.status, ms: Date.now() - t0 });
          }
          await sleep(25);
        }
      })();

      const exit = await exitWithin(p, SHUTDOWN_TIMEOUT_MS + EXIT_MARGIN_MS);
      const exitMs = Date.now() - sigtermAt;
      if (!exit) {
        // It did not exit: kill it, so that what hangs on it ends (and shows as not answered).
        p.child.kill('SIGKILL');
        await p.exited;
      }
      exited = true;
      await Promise.all([...clients, ...slow, prober]);
      agents.forEach((a) => a.destroy());

      const after = outcomes.filter((o) => o.endedAt >= 0);
      const summary = {
        requests: outcomes.length,
        inFlightAtSigterm,
        exit,
        exitMs,
        completedAfterSigterm: after.filter((o) => o.result === 'complete').length,
        sentAndCompletedAfterSigterm: after.filter((o) => o.result === 'complete' && o.sentAt >= 0).length,
        lastCompletedAt: Math.max(0, ...after.filter((o) => o.result === 'complete').map((o) => o.endedAt)),
        // Requests the exit cut off before any answer (the process ended while they were being handled).
        pendingAtExit: outcomes.filter((o) => o.result === 'none' && o.code === 'ECONNRESET' && o.endedAt >= exitMs - 1_000).length,
        noAnswerSample: outcomes.filter((o) => o.result === 'none').map((o) => `${o.name ?? o.kind}@${o.sentAt}..${o.endedAt}`).slice(0, 12),
        statuses: outcomes.reduce<Record<string, number>>((m, o) => ((m[`${o.result}:${o.status ?? o.code}`] = (m[`${o.result}:${o.status ?? o.code}`] ?? 0) + 1), m), {}),
        probes: probes.reduce<Record<string, number>>((m, x) => ((m[`${x.result}${x.status ? `:${x.status}` : ''}`] = (m[`${x.result}${x.status ? `:${x.status}` : ''}`] ?? 0) + 1), m), {}),
      };
      process.stdout.write(`graceful-shutdown (api): ${JSON.stringify(summary)}\n`);

      const cut = outcomes.filter((o) => o.result === 'cut');
      const malformed = outcomes.filter((o) => o.result === 'complete' && o.malformed);
      const rows = await adminQuery<{ name: string }>(`SELECT name FROM "${schema}".campaigns WHERE name LIKE 'gs-%'`);
      const stored = new Set(rows.map((r) => r.name));
      const created = new Set(outcomes.filter((o) => o.status === 201 && o.result === 'complete').map((o) => o.name!));
      const unanswered = new Set(outcomes.filter((o) => o.kind !== 'get' && o.result !== 'complete').map((o) => o.name!));
      const orphans = [...stored].filter((n) => !created.has(n));
      process.stdout.write(
        `graceful-shutdown (api): ${created.size} campaigns created (201), ${stored.size} stored, ${orphans.length} stored without a 201 (${orphans.join(', ') || 'none'}); ` +
          `${outcomes.filter((o) => o.result === 'none').length} requests got no answer at all (refused or reset)\n`,
      );

      // All at once, so that a failure shows every broken promise.
      expect({
        // The process: exit 0, within the timeout, through the orderly path.
        exit,
        exitedWithinTimeout: exitMs <= SHUTDOWN_TIMEOUT_MS + EXIT_MARGIN_MS,
        sigtermLogged: /api: SIGTERM received/.test(p.output()),
        shutdownCompleted: /api: shutdown complete/.test(p.output()),
        shutdownTimedOut: /shutdown took longer/.test(p.output()),
        loadInFlightAtSigterm: inFlightAtSigterm > 0,
        // Every accepted request (it got response headers) got its whole, well-formed answer.
        cutAfterHeaders: cut,
        malformedAnswers: malformed,
        // The requests whose body was still arriving at SIGTERM were finished, not dropped.
        slowPosts: outcomes.filter((o) => o.kind === 'slow-post').map((o) => `${o.result}:${o.status ?? o.code}`),
        // New connections after shutdown began were refused or answered (200 while draining, or 503), never left hanging.
        hungNewConnections: probes.filter((x) => x.result === 'hung'),
        oddNewConnectionAnswers: probes.filter((x) => x.result === 'answered' && x.status !== 200 && x.status !== 503),
        hungLoadRequests: outcomes.filter((o) => o.result === 'none' && o.code === 'ETIMEDOUT'),
        // The database: every 201 is stored; what is stored without a 201 can only be a POST whose answer never came.
        createdButNotStored: [...created].filter((n) => !stored.has(n)),
        storedWithout201AndNotCut: orphans.filter((n) => !unanswered.has(n)),
        storedWithout201: orphans.length,
      }).toEqual({
        exit: { code: 0, signal: null },
        exitedWithinTimeout: true,
        sigtermLogged: true,
        shutdownCompleted: true,
        shutdownTimedOut: false,
        loadInFlightAtSigterm: true,
        cutAfterHeaders: [],
        malformedAnswers: [],
        slowPosts: ['complete:201', 'complete:201', 'complete:201'],
        hungNewConnections: [],
        oddNewConnectionAnswers: [],
        hungLoadRequests: [],
        createdButNotStored: [],
        storedWithout201AndNotCut: [],
        storedWithout201: 0,
      });
    }, 240_000);
  });

  describe('the worker process', () => {
    const PROVIDERS: ProviderName[] = ['openai', 'gemini'];
    const QUESTIONS = 40;
    const ITEMS = QUESTIONS * PROVIDERS.length;
    const CONCURRENCY = 4;
    let h: RunsHarness;

    beforeAll(async () => {
      h = await RunsHarness.start(__filename, {
        emulator: { providers: { openai: { latencyMs: { min: 300, max: 700 } }, gemini: { latencyMs: { min: 300, max: 700 } } } },
        env: {
          ...providerEnv({ openai: { qps: 1000, burst: 1000, concurrency: CONCURRENCY }, gemini: { qps: 1000, burst: 1000, concurrency: CONCURRENCY } }),
          WORKER_STALLED_INTERVAL_MS: '2000',
          WORKER_LOCK_DURATION_MS: '4000',
          RECONCILE_INTERVAL_MS: '2000',
        },
      });
    }, 120_000);
    afterAll(async () => h?.close(), 60_000);

    it('finishes or releases its jobs on SIGTERM, exits 0 in time, leaves nothing half-written; a second worker completes the run paying once per item', async () => {
      const first = await h.spawnWorker({ SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) });
      const { campaignId } = await h.seedQuestions(QUESTIONS, 'sigterm');
      const runId = await h.createRun(campaignId, PROVIDERS);
      await h.startRun(runId);

      // Mid-run, with provider calls open.
      await h.waitForItems(runId, 'succeeded', Math.round(ITEMS * 0.2), 90_000);
      await h.until('an open provider call', () => h.openCalls() > 0, 30_000);
      const atSigterm = { counts: await h.itemCounts(runId), openCalls: h.openCalls() };
      const sigtermAt = Date.now();
      first.child.kill('SIGTERM');
      const exit = await exitWithin(first, SHUTDOWN_TIMEOUT_MS + EXIT_MARGIN_MS);
      const exitMs = Date.now() - sigtermAt;

      const afterFirst = { counts: await h.itemCounts(runId), responses: await h.responseCounts(runId), openCalls: h.openCalls() };
      const statsFirst = h.stats().providers;
      const aborted = PROVIDERS.reduce((n, p) => n + (statsFirst[p].byStatus.aborted ?? 0), 0);
      process.stdout.write(`graceful-shutdown (worker): ${JSON.stringify({ atSigterm, exit, exitMs, afterFirst, aborted })}\n`);

      expect({ exit, withinTimeout: exitMs <= SHUTDOWN_TIMEOUT_MS + EXIT_MARGIN_MS }).toEqual({ exit: { code: 0, signal: null }, withinTimeout: true });
      expect(first.output()).toMatch(/worker: shutdown complete/);
      expect(first.output()).not.toMatch(/shutdown took longer/);
      // The SIGTERM landed mid-run.
      expect(afterFirst.counts.succeeded).toBeLessThan(ITEMS);
      // Nothing half-written: a succeeded item has exactly one response, any other item none.
      expect(afterFirst.responses).toEqual({ rows: afterFirst.counts.succeeded, distinctItems: afterFirst.counts.succeeded, mismatched: 0 });
      expect(afterFirst.counts).toMatchObject({ total: ITEMS, failed: 0, cancelled: 0 });
      // Every call the worker opened was finished (answered) or given up (aborted): none left open.
      expect(afterFirst.openCalls).toBe(0);
      expect(aborted).toBeLessThanOrEqual(CONCURRENCY * PROVIDERS.length);

      const second = await h.spawnWorker();
      const run = await h.waitForTerminal(runId, 120_000);
      const counts = await h.itemCounts(runId);
      const responses = await h.responseCounts(runId);
      const stats = h.stats().providers;
      process.stdout.write(`graceful-shutdown (worker): ${JSON.stringify({ run: run.status, counts, responses, calls: Object.fromEntries(PROVIDERS.map((p) => [p, { calls: stats[p].calls, byStatus: stats[p].byStatus }])) })}\n`);
      expect(run.status).toBe('completed');
      expect(counts).toEqual({ total: ITEMS, pending: 0, queued: 0, running: 0, succeeded: ITEMS, failed: 0, cancelled: 0 });
      expect(responses).toEqual({ rows: ITEMS, distinctItems: ITEMS, mismatched: 0 });
      for (const p of PROVIDERS) {
        // No item paid twice: one answered (200) call per item; extra calls only for those the first worker gave up (aborted).
        expect({ provider: p, answered: stats[p].byStatus['200'] ?? 0 }).toEqual({ provider: p, answered: QUESTIONS });
        expect({ provider: p, calls: stats[p].calls }).toEqual({ provider: p, calls: QUESTIONS + (statsFirst[p].byStatus.aborted ?? 0) });
      }
      second.child.kill('SIGTERM');
      expect(await exitWithin(second, SHUTDOWN_TIMEOUT_MS + EXIT_MARGIN_MS)).toEqual({ code: 0, signal: null });
    }, 240_000);
  });
});
