import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { DEFAULT_BRANDS } from '../../src/emulator/config';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/emulator';
import { WorkerModule } from '../../src/worker.module';
import { campaignBody } from '../factories/catalogue';
import { emulatorEnv } from '../helpers/emulator-env';
import { expectProblem } from '../helpers/problem';
import { adminQuery } from '../helpers/schema';
import { createTestApp, DbMode, TestApp } from '../helpers/test-app';

type Summary = { id: string; status: string; counts: Record<string, number>; finished_at: string | null; label: string | null };

type Competitor = { name: string; mentions: number; mention_rate: number | null; mention_rate_ci: [number, number]; share_of_voice: number | null };

type Metrics = {
  answers: number;
  mentions: number;
  mention_rate: number | null;
  mention_rate_ci: [number, number];
  share_of_voice: number | null;
  avg_rank: number | null;
  top3_rate: number | null;
  sentiment: { positive: number | null; neutral: number | null; negative: number | null };
  citation_rate: number | null;
  any_citation_rate: number | null;
  own_domain_citation_share: number | null;
  top_domains: { domain: string; count: number }[];
  competitors: Competitor[];
  tokens: { input: number; output: number };
  cost_usd: number;
  latency_ms: { p50: number | null; p95: number | null };
};

type RunMetrics = {
  run_id: string;
  by: string | null;
  analysis: { version: string; config_key: string; stale_answers: number };
  overall: Metrics;
  slices: (Metrics & { key: Record<string, string | null> })[];
};

type Trend = Metrics & {
  run_id: string;
  label: string | null;
  status: string;
  finished_at: string;
  stale_answers: number;
  change: null | { mention_rate: number | null; share_of_voice: number | null; within_noise: boolean };
};

type CampaignMetrics = { campaign_id: string; analysis: { version: string; config_key: string }; runs: Trend[] };

type Item = {
  id: string;
  status: string;
  provider: string;
  model: string;
  topic_id: string | null;
  topic_title: string | null;
  persona_id: string | null;
  persona_name: string | null;
  response: null | {
    text: string;
    citations: { url: string; domain: string }[];
    usage: { input_tokens: number | null; output_tokens: number | null };
    latency_ms: number | null;
    cost_usd: number | null;
  };
  analysis: null | {
    brand_mentioned: boolean;
    brand_rank: number | null;
    sentiment: string | null;
    competitors_mentioned: string[];
    cited_domains: string[];
    own_domain_cited: boolean;
  };
};

/** One answer's analysis as stored in the database: the JSON and the columns beside it. */
type StoredRow = {
  id: string;
  a: Record<string, unknown> & { config_key: string; citation_count: number; own_citation_count: number };
  brand_mentioned: boolean | null;
  brand_rank: number | null;
  sentiment: string | null;
  analysis_key: string | null;
  own_domain_cited: boolean | null;
  citation_count: number | null;
  own_citation_count: number | null;
  competitors_mentioned: string[] | null;
  cited_domains: string[] | null;
};

const PROVIDERS = [
  { provider: 'openai', model: 'gpt-5-mini', settings: { web_search: true } },
  { provider: 'perplexity', model: 'perplexity/sonar' },
  { provider: 'gemini', model: 'gemini-2.5-flash' },
];

const TERMINAL = ['completed', 'completed_with_errors', 'cancelled'];

// ---- The arithmetic, written here again from the definitions (not imported from src/). ----

const Z = 1.959963984540054;

const round = (x: number | null, digits = 4): number | null => (x === null ? null : Math.round(x * 10 ** digits) / 10 ** digits);
const rate = (num: number, den: number): number | null => (den > 0 ? num / den : null);

/** 95% Wilson score interval: (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n); [0, 1] for n = 0. */
function wilson(k: number, n: number): [number, number] {
  if (n === 0) return [0, 1];
  const p = k / n;
  const centre = (p + (Z * Z) / (2 * n)) / (1 + (Z * Z) / n);
  const half = (Z / (1 + (Z * Z) / n)) * Math.sqrt((p * (1 - p)) / n + (Z * Z) / (4 * n * n));
  return [round(Math.max(0, centre - half)) as number, round(Math.min(1, centre + half)) as number];
}

/** PostgreSQL's percentile_cont: linear interpolation between the closest ranks. */
function percentileCont(values: number[], p: number): number | null {
  if (!values.length) return null;
  const v = [...values].sort((a, b) => a - b);
  const at = (v.length - 1) * p;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return v[lo] + (v[hi] - v[lo]) * (at - lo);
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The metrics M of a group of items, computed from each answer's analysis as the items list shows
 * it (and, for the citation counts the list does not show, the analysis JSON stored with it).
 */
function expectedMetrics(items: Item[], stored: Map<string, StoredRow>, competitorNames: string[]): Metrics {
  const answers = items.filter((i) => i.status === 'succeeded' && i.response && i.analysis);
  const n = answers.length;
  const an = (i: Item) => i.analysis!;
  const mentioning = answers.filter((i) => an(i).brand_mentioned);
  const m = mentioning.length;
  const competitorCounts = new Map<string, number>();
  for (const i of answers) for (const c of new Set(an(i).competitors_mentioned)) competitorCounts.set(c, (competitorCounts.get(c) ?? 0) + 1);
  const tracked = m + [...competitorCounts.values()].reduce((s, x) => s + x, 0);
  const sov = (k: number): number | null => (n === 0 ? null : tracked === 0 ? 0 : round(k / tracked));
  const ranks = mentioning.map((i) => an(i).brand_rank as number);
  const domainCounts = new Map<string, number>();
  for (const i of answers) for (const d of new Set(an(i).cited_domains)) domainCounts.set(d, (domainCounts.get(d) ?? 0) + 1);
  const citations = answers.reduce((s, i) => s + stored.get(i.id)!.a.citation_count, 0);
  const ownCitations = answers.reduce((s, i) => s + stored.get(i.id)!.a.own_citation_count, 0);
  const names = [...competitorNames, ...[...competitorCounts.keys()].filter((c) => !competitorNames.includes(c)).sort()];
  const sentiment = (label: string) => round(rate(mentioning.filter((i) => an(i).sentiment === label).length, m));
  const latencies = answers.map((i) => i.response!.latency_ms).filter((x): x is number => x !== null);
  return {
    answers: n,
    mentions: m,
    mention_rate: round(rate(m, n)),
    mention_rate_ci: wilson(m, n),
    share_of_voice: sov(m),
    avg_rank: ranks.length ? round(ranks.reduce((s, r) => s + r, 0) / ranks.length, 3) : null,
    top3_rate: round(rate(mentioning.filter((i) => (an(i).brand_rank as number) <= 3).length, n)),
    sentiment: { positive: sentiment('positive'), neutral: sentiment('neutral'), negative: sentiment('negative') },
    citation_rate: round(rate(answers.filter((i) => an(i).own_domain_cited).length, n)),
    any_citation_rate: round(rate(answers.filter((i) => i.response!.citations.length > 0).length, n)),
    own_domain_citation_share: round(rate(ownCitations, citations)),
    top_domains: [...domainCounts.entries()]
      .sort((a, b) => b[1] - a[1] || byteOrder(a[0], b[0]))
      .slice(0, 10)
      .map(([domain, count]) => ({ domain, count })),
    competitors: names.map((name) => {
      const k = competitorCounts.get(name) ?? 0;
      return { name, mentions: k, mention_rate: round(rate(k, n)), mention_rate_ci: wilson(k, n), share_of_voice: sov(k) };
    }),
    tokens: {
      input: answers.reduce((s, i) => s + (i.response!.usage.input_tokens ?? 0), 0),
      output: answers.reduce((s, i) => s + (i.response!.usage.output_tokens ?? 0), 0),
    },
    cost_usd: round(
      answers.reduce((s, i) => s + (i.response!.cost_usd ?? 0), 0),
      6,
    ) as number,
    latency_ms: { p50: round(percentileCont(latencies, 0.5), 1), p95: round(percentileCont(latencies, 0.95), 1) },
  };
}

const overlap = (a: [number, number], b: [number, number]): boolean => a[0] <= b[1] && b[0] <= a[1];

/** Groups items by a slice key, as `by` does. */
function groupItems(items: Item[], key: (i: Item) => Record<string, string | null>): Map<string, { key: Record<string, string | null>; items: Item[] }> {
  const out = new Map<string, { key: Record<string, string | null>; items: Item[] }>();
  for (const i of items.filter((x) => x.status === 'succeeded')) {
    const k = key(i);
    const s = JSON.stringify(k);
    if (!out.has(s)) out.set(s, { key: k, items: [] });
    out.get(s)!.items.push(i);
  }
  return out;
}

const SLICE_KEYS: Record<string, (i: Item) => Record<string, string | null>> = {
  provider: (i) => ({ provider: i.provider }),
  model: (i) => ({ provider: i.provider, model: i.model }),
  topic: (i) => ({ topic_id: i.topic_id, topic_title: i.topic_title }),
  persona: (i) => ({ persona_id: i.persona_id, persona_name: i.persona_name }),
};

const BRAND_ALIASES = ['Acme', 'AcmeCRM'];
const COMPETITORS = [
  { name: 'Globex', aliases: ['Globex CRM'], domains: ['globex.example'] },
  { name: 'Initech', aliases: [], domains: ['initech.example'] },
];
const UMBRELLA = { name: 'Umbrella', aliases: [], domains: ['umbrella.example'] };

/**
 * Visibility metrics (GET /runs/{id}/metrics, GET /campaigns/{id}/metrics, POST /runs/{id}:rescore)
 * through the real HTTP stack and a real worker, answers from the provider emulator, in one
 * database mode. Every figure is checked against the same figure computed here from the run's
 * items and their stored analyses.
 */
export function metricsSuite(file: string, mode: DbMode): void {
  describe(`visibility metrics (${mode} schema)`, () => {
    let t: TestApp;
    let emu: EmulatorHandle;
    let worker: INestApplicationContext;
    let campaignId: string;
    let run1: Summary;
    /** The second finished run of the campaign (made in "campaign metrics"). */
    let run2: Summary;

    const api = (path: string): string => `/api/v1${path}`;
    const get = (path: string) => t.http.get(api(path)).set(t.auth);
    const post = (path: string, body?: unknown) => t.http.post(api(path)).set(t.auth).send(body as object);
    const patchCampaign = async (body: Record<string, unknown>) => t.http.patch(api(`/campaigns/${campaignId}`)).set(t.auth).send(body).expect(200);
    const calls = (): number => {
      const s = emu.stats();
      return s.providers.openai.calls + s.providers.gemini.calls + s.providers.perplexity.calls;
    };
    const sql = <T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> => adminQuery<T>(query.replaceAll('$schema', `"${t.schema}"`), params);

    const metrics = async (runId: string, by?: string): Promise<RunMetrics> => {
      const res = await get(`/runs/${runId}/metrics${by ? `?by=${by}` : ''}`);
      if (res.status !== 200) throw new Error(`GET metrics: ${res.status} ${res.text}`);
      return res.body as RunMetrics;
    };
    const items = async (runId: string): Promise<Item[]> => {
      const page = (await get(`/runs/${runId}/items?limit=500`).expect(200)).body as { items: Item[]; total: number };
      expect(page.items).toHaveLength(page.total);
      return page.items;
    };
    /** The analysis of each answer of a run, straight from the database. */
    const storedAnalyses = async (runId: string): Promise<Map<string, StoredRow>> => {
      const cols = 'brand_mentioned, brand_rank, sentiment, analysis_key, own_domain_cited, citation_count, own_citation_count, competitors_mentioned, cited_domains';
      const rows =
        mode === 'full'
          ? await sql<StoredRow>(`SELECT run_item_id::text AS id, analysis::jsonb AS a, ${cols} FROM $schema.responses WHERE run_id = $1`, [runId])
          : await sql<StoredRow>(`SELECT run_item_id::text AS id, payload::jsonb -> 'analysis' AS a, ${cols} FROM $schema.results WHERE run_id = $1 AND status = 'succeeded'`, [runId]);
      return new Map(rows.map((r) => [r.id, r]));
    };
    const currentCompetitorNames = async (): Promise<string[]> =>
      ((await get(`/campaigns/${campaignId}`).expect(200)).body as { competitors: { name: string }[] }).competitors.map((c) => c.name);

    /** The run's metrics (overall, and each slice of `by`) against the figures recomputed from its items. */
    const checkAgainstItems = async (runId: string, by?: string): Promise<RunMetrics> => {
      const [m, list, stored, names] = await Promise.all([metrics(runId, by), items(runId), storedAnalyses(runId), currentCompetitorNames()]);
      expect(m.overall).toEqual(expectedMetrics(list, stored, names));
      if (by) {
        const groups = groupItems(list, SLICE_KEYS[by]);
        expect(m.slices.map((s) => JSON.stringify(s.key)).sort()).toEqual([...groups.keys()].sort());
        for (const slice of m.slices) expect(slice).toEqual({ key: slice.key, ...expectedMetrics(groups.get(JSON.stringify(slice.key))!.items, stored, names) });
        // Largest first.
        expect(m.slices.map((s) => s.answers)).toEqual([...m.slices.map((s) => s.answers)].sort((a, b) => b - a));
      } else {
        expect(m.slices).toEqual([]);
      }
      return m;
    };

    const waitFor = async (id: string, ms = 30_000): Promise<Summary> => {
      const deadline = Date.now() + ms;
      for (;;) {
        const s = (await get(`/runs/${id}`).expect(200)).body as Summary;
        if (TERMINAL.includes(s.status)) return s;
        if (Date.now() > deadline) throw new Error(`run ${id} still ${s.status} after ${ms} ms: ${JSON.stringify(s.counts)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const finishedRun = async (body: Record<string, unknown>): Promise<Summary> => {
      const run = (await post('/runs', { campaign_id: campaignId, providers: PROVIDERS, ...body }).expect(201)).body as Summary;
      await post(`/runs/${run.id}/start`).expect(202);
      return waitFor(run.id);
    };
    /** Polls the run's metrics until no answer is stale. */
    const waitFresh = async (runId: string, ms = 20_000): Promise<RunMetrics> => {
      const deadline = Date.now() + ms;
      for (;;) {
        const m = await metrics(runId);
        if (m.analysis.stale_answers === 0) return m;
        if (Date.now() > deadline) throw new Error(`run ${runId} still has ${m.analysis.stale_answers} stale answers after ${ms} ms`);
        await new Promise((r) => setTimeout(r, 150));
      }
    };

    beforeAll(async () => {
      const latencyMs = { min: 5, max: 40 };
      emu = await startEmulator({ port: 0, seed: `metrics-${mode}`, providers: { openai: { latencyMs }, gemini: { latencyMs }, perplexity: { latencyMs } } });
      t = await createTestApp(file, {
        mode,
        env: {
          ...emulatorEnv(emu),
          OPENAI_QPS: '200',
          GEMINI_QPS: '200',
          PERPLEXITY_QPS: '200',
          OPENAI_BURST: '50',
          GEMINI_BURST: '50',
          PERPLEXITY_BURST: '50',
          RUN_ITEM_ATTEMPTS: '2',
          RUN_RETRY_BASE_MS: '50',
          RUN_RETRY_MAX_MS: '200',
          RECONCILE_INTERVAL_MS: '1000',
          PROVIDER_BREAKER_FAILURES: '1000',
        },
      });
      worker = await NestFactory.createApplicationContext(WorkerModule, { logger: false });
      await worker.init();

      // 4 questions: 2 topics × 2 personas.
      const lines = Array.from({ length: 4 }, (_, i) =>
        JSON.stringify({
          campaign: { name: `Metrics ${t.schema}`, product_name: 'Acme CRM' },
          topic: { title: i < 2 ? 'CRM for agencies' : 'CRM pricing' },
          persona: { name: i % 2 ? `Founder ${t.schema}` : `Analyst ${t.schema}`, role: i % 2 ? 'Founder' : 'Analyst', locale: 'en-US' },
          question: { text: `Which CRM should an agency of ${i + 5} people choose?` },
        }),
      );
      await t.http.post(api('/question-sets:import')).set(t.auth).set('Content-Type', 'application/x-ndjson').send(lines.join('\n')).expect(200);
      const campaigns = (await get('/campaigns?limit=500').expect(200)).body.items as { id: string; name: string }[];
      campaignId = campaigns.find((c) => c.name === `Metrics ${t.schema}`)!.id;
      await patchCampaign({ brand_aliases: BRAND_ALIASES, brand_domains: ['acme.example'], competitors: COMPETITORS });

      run1 = await finishedRun({ label: 'first', samples: 2 });
    });

    afterAll(async () => {
      await worker?.close();
      await t?.close();
      await emu?.close();
    });

    describe('a finished run', () => {
      it('ran 24 answers (4 questions × 3 providers × 2 samples), some mentioning the brand and the competitors', async () => {
        expect(run1).toMatchObject({ status: 'completed', counts: { total: 24, succeeded: 24 } });
        const list = await items(run1.id);
        expect(list.filter((i) => i.analysis?.brand_mentioned).length).toBeGreaterThan(0);
        expect(list.filter((i) => i.analysis?.competitors_mentioned.includes('Globex')).length).toBeGreaterThan(0);
        expect(list.filter((i) => i.analysis?.own_domain_cited).length).toBeGreaterThan(0);
      });

      it('stores, for every answer, analysis columns that agree with the analysis JSON and with the items list', async () => {
        const [list, stored] = await Promise.all([items(run1.id), storedAnalyses(run1.id)]);
        expect(stored.size).toBe(24);
        for (const item of list) {
          const row = stored.get(item.id)!;
          expect(row).toBeDefined();
          expect({
            brand_mentioned: row.brand_mentioned,
            brand_rank: row.brand_rank,
            sentiment: row.sentiment,
            analysis_key: row.analysis_key,
            own_domain_cited: row.own_domain_cited,
            citation_count: row.citation_count,
            own_citation_count: row.own_citation_count,
            competitors_mentioned: row.competitors_mentioned,
            cited_domains: row.cited_domains,
          }).toEqual({
            brand_mentioned: row.a.brand_mentioned,
            brand_rank: row.a.brand_rank,
            sentiment: row.a.sentiment,
            analysis_key: row.a.config_key,
            own_domain_cited: row.a.own_domain_cited,
            citation_count: row.a.citation_count,
            own_citation_count: row.a.own_citation_count,
            competitors_mentioned: row.a.competitors_mentioned,
            cited_domains: row.a.cited_domains,
          });
          expect(item.analysis).toEqual({
            brand_mentioned: row.a.brand_mentioned,
            brand_rank: row.a.brand_rank,
            sentiment: row.a.sentiment,
            competitors_mentioned: row.a.competitors_mentioned,
            cited_domains: row.a.cited_domains,
            own_domain_cited: row.a.own_domain_cited,
            top3: row.a.top3,
            brand_not_known: row.a.brand_not_known,
            competitors_not_known: row.a.competitors_not_known,
            sentiment_score: row.a.sentiment_score,
            position_adjusted_word_count: row.a.position_adjusted_word_count,
            config_key: row.a.config_key,
          });
        }
      });

      it('reports overall figures equal to those recomputed from the items, with the analysis up to date', async () => {
        const m = await checkAgainstItems(run1.id);
        expect(m).toMatchObject({ run_id: run1.id, by: null, analysis: { version: expect.any(String), config_key: expect.stringMatching(/^v\d+:/), stale_answers: 0 } });
        expect(m.overall.answers).toBe(24);
        expect(m.overall.competitors.map((c) => c.name)).toEqual(['Globex', 'Initech']);
        expect(m.overall.tokens.input).toBeGreaterThan(0);
        expect(m.overall.cost_usd).toBeGreaterThan(0);
        expect(m.overall.top_domains.length).toBeGreaterThan(0);
        expect(m.overall.top_domains.length).toBeLessThanOrEqual(10);
        // Share of voice adds up to 1 over the brand and its competitors.
        const sov = m.overall.share_of_voice! + m.overall.competitors.reduce((s, c) => s + c.share_of_voice!, 0);
        expect(sov).toBeCloseTo(1, 3);
      });

      it('gives the 95% Wilson interval of the mention rate', async () => {
        const { overall } = await metrics(run1.id);
        const n = overall.answers;
        const p = overall.mentions / n;
        // (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n), z = 1.96
        const z = 1.96;
        const lo = (p + (z * z) / (2 * n) - z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
        const hi = (p + (z * z) / (2 * n) + z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
        expect(overall.mention_rate_ci[0]).toBeCloseTo(lo, 3);
        expect(overall.mention_rate_ci[1]).toBeCloseTo(hi, 3);
        expect(overall.mention_rate_ci[0]).toBeLessThanOrEqual(overall.mention_rate!);
        expect(overall.mention_rate_ci[1]).toBeGreaterThanOrEqual(overall.mention_rate!);
      });

      it('slices by provider: one slice per provider, each equal to its recomputed figures, adding up to the whole', async () => {
        const m = await checkAgainstItems(run1.id, 'provider');
        expect(m.by).toBe('provider');
        expect(m.slices.map((s) => s.key.provider).sort()).toEqual(['gemini', 'openai', 'perplexity']);
        expect(m.slices.reduce((s, x) => s + x.answers, 0)).toBe(m.overall.answers);
        expect(m.slices.reduce((s, x) => s + x.mentions, 0)).toBe(m.overall.mentions);
        expect(m.slices.reduce((s, x) => s + x.tokens.input, 0)).toBe(m.overall.tokens.input);
        expect(m.overall).toEqual((await metrics(run1.id)).overall);
      });

      it('slices by model, topic (with its title) and persona (with its name)', async () => {
        const byModel = await checkAgainstItems(run1.id, 'model');
        expect(byModel.slices).toHaveLength(3);
        for (const s of byModel.slices) expect(Object.keys(s.key).sort()).toEqual(['model', 'provider']);

        const byTopic = await checkAgainstItems(run1.id, 'topic');
        expect(byTopic.slices.map((s) => s.key.topic_title).sort()).toEqual(['CRM for agencies', 'CRM pricing']);
        expect(byTopic.slices.map((s) => s.answers)).toEqual([12, 12]);
        for (const s of byTopic.slices) expect(s.key.topic_id).toMatch(/^[0-9a-f-]{36}$/);

        const byPersona = await checkAgainstItems(run1.id, 'persona');
        expect(byPersona.slices.map((s) => s.key.persona_name).sort()).toEqual([`Analyst ${t.schema}`, `Founder ${t.schema}`]);
        expect(byPersona.slices.map((s) => s.answers)).toEqual([12, 12]);
        for (const s of byPersona.slices) expect(s.key.persona_id).toMatch(/^[0-9a-f-]{36}$/);
      });

      it('answers the same when read twice', async () => {
        for (const by of [undefined, 'provider', 'model', 'topic', 'persona']) {
          const a = await metrics(run1.id, by);
          const b = await metrics(run1.id, by);
          expect(b).toEqual(a);
        }
      });
    });

    describe('bad input', () => {
      it.each([['nope'], ['run'], [''], ['PROVIDER'], ['provider&by=model']])('refuses by=%s with a 400 problem', async (by) => {
        const res = await get(`/runs/${run1.id}/metrics?by=${by}`);
        const problem = expectProblem(res, 400, 'validation_failed');
        expect(problem.errors?.some((e) => e.field === 'by')).toBe(true);
      });

      it('refuses an unknown query parameter with a 400 problem', async () => {
        expectProblem(await get(`/runs/${run1.id}/metrics?colour=red`), 400, 'validation_failed');
      });

      it('answers 404 for an unknown run or campaign, and 400 for a malformed id, on every metrics route', async () => {
        const id = randomUUID();
        expectProblem(await get(`/runs/${id}/metrics`), 404, 'not_found');
        expectProblem(await get(`/runs/${id}/metrics?by=provider`), 404, 'not_found');
        expectProblem(await post(`/runs/${id}:rescore`), 404, 'not_found');
        expectProblem(await get(`/campaigns/${id}/metrics`), 404, 'not_found');
        expectProblem(await get('/runs/not-a-uuid/metrics'), 400, 'validation_failed');
        expectProblem(await post('/runs/not-a-uuid:rescore'), 400, 'validation_failed');
        expectProblem(await get('/campaigns/not-a-uuid/metrics'), 400, 'validation_failed');
        // A bad dimension on an unknown run is still a 400 (the query is checked first).
        expectProblem(await get(`/runs/${id}/metrics?by=nope`), 400, 'validation_failed');
      });
    });

    describe('a run without answers', () => {
      it('answers 200 with no answers, a null rate and the interval [0, 1]', async () => {
        const fresh = (await post('/runs', { campaign_id: campaignId, label: 'not started', providers: PROVIDERS }).expect(201)).body as Summary;
        const m = await metrics(fresh.id);
        expect(m).toMatchObject({ run_id: fresh.id, by: null, analysis: { stale_answers: 0 }, slices: [] });
        expect(m.overall).toEqual({
          answers: 0,
          mentions: 0,
          mention_rate: null,
          mention_rate_ci: [0, 1],
          share_of_voice: null,
          avg_rank: null,
          top3_rate: null,
          sentiment: { positive: null, neutral: null, negative: null },
          citation_rate: null,
          any_citation_rate: null,
          own_domain_citation_share: null,
          top_domains: [],
          competitors: [
            { name: 'Globex', mentions: 0, mention_rate: null, mention_rate_ci: [0, 1], share_of_voice: null },
            { name: 'Initech', mentions: 0, mention_rate: null, mention_rate_ci: [0, 1], share_of_voice: null },
          ],
          tokens: { input: 0, output: 0 },
          cost_usd: 0,
          latency_ms: { p50: null, p95: null },
        });
        for (const by of ['provider', 'model', 'topic', 'persona']) {
          const sliced = await metrics(fresh.id, by);
          expect(sliced.slices).toEqual([]);
          expect(sliced.overall).toEqual(m.overall);
        }
        // Nothing to rescore.
        const rescore = await post(`/runs/${fresh.id}:rescore`).expect(202);
        expect(rescore.body).toEqual({ run_id: fresh.id, analysis_version: m.analysis.version, config_key: m.analysis.config_key, stale_answers: 0, status: 'up_to_date' });
      });
    });

    describe('campaign metrics', () => {
      let pending: Summary;

      beforeAll(async () => {
        // The second run hears much less of the brand.
        emu.setConfig({ brands: DEFAULT_BRANDS.map((b) => (b.name === 'Acme CRM' ? { ...b, probability: 0.05 } : b)) });
        run2 = await finishedRun({ label: 'second', samples: 1 });
        emu.reset();
        pending = (await post('/runs', { campaign_id: campaignId, label: 'pending', providers: PROVIDERS }).expect(201)).body as Summary;
      });

      it('lists the finished runs oldest first, each with the figures of its own metrics, and not the unfinished ones', async () => {
        expect(run2).toMatchObject({ status: 'completed', counts: { total: 12, succeeded: 12 } });
        const res = await get(`/campaigns/${campaignId}/metrics`).expect(200);
        const body = res.body as CampaignMetrics;
        const m1 = await metrics(run1.id);
        expect(body).toMatchObject({ campaign_id: campaignId, analysis: { version: m1.analysis.version, config_key: m1.analysis.config_key } });
        expect(body.runs.map((r) => r.run_id)).toEqual([run1.id, run2.id]);
        expect(body.runs.map((r) => r.run_id)).not.toContain(pending.id);
        expect(body.runs.map((r) => r.label)).toEqual(['first', 'second']);
        expect(Date.parse(body.runs[0].finished_at)).toBeLessThanOrEqual(Date.parse(body.runs[1].finished_at));
        for (const r of body.runs) {
          const { run_id, label, status, finished_at, stale_answers, change, ...figures } = r;
          expect({ status, stale_answers }).toEqual({ status: 'completed', stale_answers: 0 });
          expect(typeof label).toBe('string');
          expect(finished_at).toEqual(((await get(`/runs/${run_id}`).expect(200)).body as Summary).finished_at);
          expect(change === null || typeof change === 'object').toBe(true);
          expect(figures).toEqual((await metrics(run_id)).overall);
          // And its own items agree.
          await checkAgainstItems(run_id);
        }
      });

      it('gives the change from the previous run, within the noise exactly when the two intervals overlap', async () => {
        const body = (await get(`/campaigns/${campaignId}/metrics`).expect(200)).body as CampaignMetrics;
        const [a, b] = body.runs;
        expect(a.change).toBeNull();
        // The intervals recomputed from the counts.
        const ciA = wilson(a.mentions, a.answers);
        const ciB = wilson(b.mentions, b.answers);
        expect(a.mention_rate_ci).toEqual(ciA);
        expect(b.mention_rate_ci).toEqual(ciB);
        expect(b.change).not.toBeNull();
        expect(typeof b.change!.within_noise).toBe('boolean');
        expect(b.change!.within_noise).toBe(overlap(ciA, ciB));
        expect(b.change!.mention_rate).toBeCloseTo(b.mention_rate! - a.mention_rate!, 4);
        expect(b.change!.share_of_voice).toBeCloseTo(b.share_of_voice! - a.share_of_voice!, 4);
        // The brand was made rare in the second run: a drop, far beyond the noise.
        expect(b.mention_rate!).toBeLessThan(a.mention_rate!);
      });

      it('lists no run for a campaign without finished runs', async () => {
        const other = ((await post('/campaigns', campaignBody()).expect(201)).body as { id: string }).id;
        const body = (await get(`/campaigns/${other}/metrics`).expect(200)).body as CampaignMetrics;
        expect(body).toMatchObject({ campaign_id: other, analysis: { version: expect.any(String), config_key: expect.any(String) }, runs: [] });
      });
    });

    describe('rescoring after the campaign changes', () => {
      let original: RunMetrics;
      let originalByProvider: RunMetrics;
      let originalStored: Map<string, StoredRow>;

      beforeAll(async () => {
        original = await metrics(run1.id);
        originalByProvider = await metrics(run1.id, 'provider');
        originalStored = await storedAnalyses(run1.id);
        emu.reset();
      });

      afterAll(async () => {
        // Leave the campaign as it was, whatever happened.
        await patchCampaign({ brand_aliases: BRAND_ALIASES, competitors: COMPETITORS });
      });

      it('marks every answer stale when a competitor is added, recomputes them on request without calling any provider, and is then up to date', async () => {
        await patchCampaign({ competitors: [...COMPETITORS, UMBRELLA] });
        const stale = await metrics(run1.id);
        expect(stale.analysis.stale_answers).toBe(24);
        expect(stale.analysis.config_key).not.toBe(original.analysis.config_key);
        // Until re-scored, the figures are those of the stored analyses; the new competitor has none.
        expect(stale.overall.mentions).toBe(original.overall.mentions);
        expect(stale.overall.competitors.map((c) => c.name)).toEqual(['Globex', 'Initech', 'Umbrella']);
        expect(stale.overall.competitors[2].mentions).toBe(0);
        const trend = (await get(`/campaigns/${campaignId}/metrics`).expect(200)).body as CampaignMetrics;
        expect(trend.analysis.config_key).toBe(stale.analysis.config_key);
        expect(trend.runs.map((r) => r.stale_answers)).toEqual([24, 12]);

        const callsBefore = calls();
        const res = await post(`/runs/${run1.id}:rescore`);
        if (res.status !== 202) throw new Error(`POST :rescore answered ${res.status}: ${res.text}`);
        expect(res.body).toEqual({ run_id: run1.id, analysis_version: original.analysis.version, config_key: stale.analysis.config_key, stale_answers: 24, status: 'queued' });

        const fresh = await waitFresh(run1.id);
        expect(fresh.analysis.config_key).toBe(stale.analysis.config_key);
        expect(calls()).toBe(callsBefore);

        const m = await checkAgainstItems(run1.id);
        const umbrella = m.overall.competitors.find((c) => c.name === 'Umbrella')!;
        expect(umbrella.mentions).toBeGreaterThan(0);
        // The brand is heard as often as before, in a louder field.
        expect(m.overall.mentions).toBe(original.overall.mentions);
        expect(m.overall.share_of_voice!).toBeLessThan(original.overall.share_of_voice!);
        const stored = await storedAnalyses(run1.id);
        expect([...stored.values()].every((r) => r.analysis_key === fresh.analysis.config_key && r.a.config_key === fresh.analysis.config_key)).toBe(true);
        await checkAgainstItems(run1.id, 'provider');

        // The other run was not asked for: still stale.
        expect((await metrics(run2.id)).analysis.stale_answers).toBe(12);
        expect((await post(`/runs/${run1.id}:rescore`).expect(202)).body).toEqual({
          run_id: run1.id,
          analysis_version: original.analysis.version,
          config_key: fresh.analysis.config_key,
          stale_answers: 0,
          status: 'up_to_date',
        });
        expect(calls()).toBe(callsBefore);
      });

      it('counts fewer mentions once the aliases are removed', async () => {
        await patchCampaign({ brand_aliases: [] });
        const stale = await metrics(run1.id);
        expect(stale.analysis.stale_answers).toBe(24);
        expect((await post(`/runs/${run1.id}:rescore`).expect(202)).body).toMatchObject({ status: 'queued', stale_answers: 24 });
        await waitFresh(run1.id);
        const m = await checkAgainstItems(run1.id);
        // The answers that lost their mention named the brand only by an alias ("Acme", "AcmeCRM").
        const before = new Map([...originalStored].map(([id, r]) => [id, r.a.brand_mentioned]));
        const lost = (await items(run1.id)).filter((i) => before.get(i.id) && !i.analysis!.brand_mentioned);
        expect(lost.length).toBeGreaterThan(0);
        for (const i of lost) {
          expect(i.response!.text).toMatch(/\bAcme(CRM)?\b/);
          expect(i.response!.text).not.toMatch(/Acme CRM/i);
        }
        expect(m.overall.mentions).toBe(original.overall.mentions - lost.length);
      });

      it('restores the original figures exactly when the configuration is changed back and re-scored', async () => {
        const callsBefore = calls();
        await patchCampaign({ brand_aliases: BRAND_ALIASES, competitors: COMPETITORS });
        const stale = await metrics(run1.id);
        expect(stale.analysis.config_key).toBe(original.analysis.config_key);
        expect(stale.analysis.stale_answers).toBe(24);
        // The second run was analysed with this configuration: up to date again without any job.
        expect((await metrics(run2.id)).analysis.stale_answers).toBe(0);
        expect((await post(`/runs/${run1.id}:rescore`).expect(202)).body).toMatchObject({ status: 'queued', stale_answers: 24, config_key: original.analysis.config_key });
        await waitFresh(run1.id);
        expect(await metrics(run1.id)).toEqual(original);
        expect(await metrics(run1.id, 'provider')).toEqual(originalByProvider);
        const stored = await storedAnalyses(run1.id);
        for (const [id, row] of originalStored) expect(stored.get(id)).toEqual(row);
        expect(calls()).toBe(callsBefore);
      });
    });
  });
}
