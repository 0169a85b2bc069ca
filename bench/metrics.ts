/**
 * npm run bench:metrics — what a run's visibility metrics cost: GET /runs/{id}/metrics (no `by`,
 * and by provider, model, topic, persona) on a run of BENCH_ITEMS (100,000) answered items, and
 * GET /campaigns/{id}/metrics over BENCH_RUNS (3) such runs. The target: a 100,000-item run's
 * metrics are answered in under a second.
 *
 * The campaign (20 topics × 5 personas × 10 questions, a brand with 5 competitors) is imported
 * through the API; the runs and their answers are seeded straight into Postgres, shaped as the
 * worker stores them (run-item-full.repository.ts / run-item-compat.repository.ts `complete`):
 * answers of 1.5–3 KB of words, 3–8 citations, the raw request and response, the analysis JSON
 * and the same figures as columns, with analysis_key = the campaign's current key
 * (analysisConfigKey + trackedBrands). The oldest run's answers carry another key, so every one of
 * them is stale: its metrics are timed too. Then `VACUUM ANALYZE`, as autovacuum would leave the
 * tables. One request at a time over HTTP against the real API process (latencies, not
 * throughput), a few warm-up requests first. Finally EXPLAIN (ANALYZE, BUFFERS) of the exact
 * statements the API sends (captured from the repositories with a recording DataSource), and the
 * table's size.
 *
 * BENCH_MODE=full|compat measures one database mode; unset, both (full first). BENCH_ITEMS,
 * BENCH_RUNS (≥ 2 for the stale run), BENCH_TIMES (timed requests, 15), BENCH_WARMUP (3).
 * BENCH_KEEP_SCHEMA=1 keeps the seeded schema for EXPLAIN sessions (drop it by hand).
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { analysisConfigKey, ANALYSIS_VERSION } from '../src/analysis/visibility';
import type { AppConfig } from '../src/core/config/app-config';
import { compatSql } from '../src/core/database/offline-sql';
import { RunMetricsCompatRepository } from '../src/runs/run-metrics-compat.repository';
import { RunMetricsFullRepository } from '../src/runs/run-metrics-full.repository';
import type { MetricsDimension, RunMetricsRepository } from '../src/runs/run-metrics.repository';
import { trackedBrands } from '../src/runs/tracked-brands';
import { API_KEY, emit, sql, startApi } from './bench-helpers';
import { BRAND, COMPETITORS, DOMAIN_COMPETITOR, DOMAINS, importCampaign, iso, itemId, OWN_DOMAIN, PERSONAS, QUESTIONS_PER_PAIR, sentences, TOPICS } from './bench-campaign';

type Mode = 'full' | 'compat';

const N = Number(process.env.BENCH_ITEMS ?? 100_000);
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const TIMES = Number(process.env.BENCH_TIMES ?? 15);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const MODES: Mode[] = process.env.BENCH_MODE === 'compat' ? ['compat'] : process.env.BENCH_MODE === 'full' ? ['full'] : ['full', 'compat'];
const TARGET_MS = 1000;
const PROVIDERS = [
  { provider: 'openai', model: 'gpt-5-mini', served: 'gpt-5-mini-2025-08-07', path: '/v1/responses' },
  { provider: 'gemini', model: 'gemini-2.5-flash', served: 'gemini-2.5-flash', path: '/v1beta/models/gemini-2.5-flash:generateContent' },
  { provider: 'perplexity', model: 'sonar', served: 'sonar', path: '/chat/completions' },
];
const SYSTEM_PROMPT =
  'You are a helpful assistant answering a buyer researching software. Answer the question as you would for any user: name the products you would consider, ' +
  'explain the trade-offs, and cite the sources you relied on. Do not mention that you are being evaluated. Keep the answer focused and practical, with a short list ' +
  'of options where a list helps, and say plainly when you do not know a product well enough to recommend it.';


const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 10) / 10;
};

interface Timed {
  p50: number;
  p95: number;
  max: number;
  n: number;
  under_target: boolean;
  /** CPU the API process used per timed request (ms): Node's share, whatever the machine's load. */
  api_cpu_ms: number;
  /** The 1-minute load average after the requests (2 cores: above 2, other processes compete). */
  load_avg: number;
}

/** CPU time (user + system) a process has used, in ms (Linux; 100 ticks a second). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

async function timed(url: string, apiPid: number, check: (status: number, body: unknown) => void): Promise<Timed> {
  const ms: number[] = [];
  let cpu0 = 0;
  for (let i = 0; i < WARMUP + TIMES; i++) {
    if (i === WARMUP) cpu0 = cpuMs(apiPid);
    const t0 = performance.now();
    const res = await fetch(url, { headers: { 'X-API-Key': API_KEY } });
    const body: unknown = await res.json();
    const took = performance.now() - t0;
    check(res.status, body);
    if (i >= WARMUP) ms.push(took);
  }
  const max = Math.round(Math.max(...ms) * 10) / 10;
  const apiCpu = Math.round((cpuMs(apiPid) - cpu0) / ms.length);
  return { p50: pct(ms, 50), p95: pct(ms, 95), max, n: ms.length, under_target: max < TARGET_MS, api_cpu_ms: apiCpu, load_avg: Math.round(loadavg()[0] * 100) / 100 };
}



/**
 * The answers of run number $8, one row per item i (question i mod Q, provider by blocks of Q,
 * sample after the three providers). Parameters: $1 run id, $2 campaign id, $3 questions (jsonb
 * array), $4 Q, $5 sentences, $6 analysis key, $7 items, $8 run number, $9 competitor names,
 * $10 cited-domain pool, $11 the competitor owning each domain (''), $12 the run's end.
 */
const ANSWERS = `
  qs AS MATERIALIZED (
    SELECT (n - 1)::int AS qn, value AS q FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS t(value, n)
  ),
  a AS MATERIALIZED (
    SELECT i, ${itemId('$8')} AS item_id, $2::uuid AS campaign_id, qs.q, ((i - 1) / $4::int) % 3 AS p, (i - 1) / ($4::int * 3) AS s,
      random() < 0.55 AS mentioned, 1 + floor(random() ^ 2 * 5)::int AS want_rank, random() AS r_sent,
      ARRAY(SELECT c FROM unnest($9::text[]) AS c WHERE random() < 0.35 AND i > 0) AS comps,
      3 + floor(random() * 6)::int AS nc, 1500 + floor(random() * 1500)::int AS len,
      60 + floor(random() * 140)::int AS input_tokens, 700 + floor(random() * 9000)::int AS latency_ms,
      $12::timestamptz - random() * interval '50 minutes' AS finished_at
    FROM generate_series(1, $7::int) AS i JOIN qs ON qs.qn = (i - 1) % $4::int
  ),
  b AS MATERIALIZED (
    SELECT a.*, CASE WHEN mentioned THEN least(want_rank, cardinality(comps) + 1) END AS rank,
      CASE WHEN NOT mentioned THEN NULL WHEN r_sent < 0.45 THEN 'positive' WHEN r_sent < 0.85 THEN 'neutral' ELSE 'negative' END AS sentiment
    FROM a
  ),
  c AS MATERIALIZED (
    SELECT b.*, cz.*, tz.*
    FROM b
    CROSS JOIN LATERAL (
      SELECT CASE WHEN b.mentioned THEN b.comps[1:b.rank - 1] || '${BRAND}'::text || b.comps[b.rank:] ELSE b.comps END AS ranked
    ) rz
    CROSS JOIN LATERAL (
      SELECT jsonb_agg(jsonb_build_object('url', url, 'title', initcap(split_part(d, '.', 1)) || ': ' || slug, 'domain', host, 'position', k) ORDER BY k) AS citations,
        jsonb_agg(jsonb_build_object('position', k, 'url', url, 'host', host, 'domain', d, 'own', d = '${OWN_DOMAIN}', 'competitor', comp) ORDER BY k) AS analyzed,
        array_agg(d ORDER BY k) FILTER (WHERE fst) AS domains,
        count(*) FILTER (WHERE d = '${OWN_DOMAIN}')::int AS own_n,
        min(k) FILTER (WHERE d = '${OWN_DOMAIN}') AS first_own,
        coalesce(array_agg(comp ORDER BY k) FILTER (WHERE fst AND comp IS NOT NULL), '{}') AS comps_cited
      FROM (
        SELECT k, d, comp, host, slug, 'https://' || host || '/' || slug || '-' || b.i || '-' || k AS url, row_number() OVER (PARTITION BY d ORDER BY k) = 1 AS fst
        FROM (
          SELECT k, ($10::text[])[j] AS d, nullif(($11::text[])[j], '') AS comp, CASE WHEN j % 2 = 0 THEN 'www.' ELSE '' END || ($10::text[])[j] AS host,
            (ARRAY['best-crm-software', 'crm-for-agencies', 'reviews', 'pricing', 'compare', 'blog/choosing-a-crm', 'r/sales/comments/crm'])[1 + (k + j) % 7] AS slug
          FROM (SELECT k, 1 + floor(random() * cardinality($10::text[]))::int AS j FROM generate_series(1, b.nc) AS k) x0
        ) x1
      ) x
    ) cz
    CROSS JOIN LATERAL (
      SELECT rz.ranked,
        'For ' || lower(b.q #>> '{topic,title}') || ', a ' || lower(b.q #>> '{persona,role}') || ' in ' || (b.q #>> '{persona,domain}') || ' usually compares a few CRM platforms. '
        || CASE WHEN cardinality(rz.ranked) > 0
             THEN 'The options most often recommended are: ' || (SELECT string_agg(o || '. ' || n, '; ' ORDER BY o) FROM unnest(rz.ranked) WITH ORDINALITY AS t(n, o)) || '. '
             ELSE 'No single vendor stands out for this use case. ' END
        || CASE b.sentiment WHEN 'positive' THEN '${BRAND} is widely praised for its reliable pipeline reporting and fair pricing. '
             WHEN 'neutral' THEN '${BRAND} is a standard option with the usual contact and deal tracking. '
             WHEN 'negative' THEN '${BRAND} is often criticised for slow support and expensive add-ons. ' ELSE '' END
        || left((SELECT string_agg(($5::text[])[1 + floor(random() * cardinality($5::text[]))::int], ' ') FROM generate_series(1, b.len / 90 + 1)), greatest(b.len - 400, 300))
        || ' ' || (SELECT string_agg('[' || k || ']', ' ') FROM generate_series(1, b.nc) AS k) AS text
    ) tz
  ),
  d AS (
    SELECT c.*, length(text) / 4 AS output_tokens,
      (ARRAY['${PROVIDERS.map((x) => x.provider).join("','")}'])[p + 1] AS provider,
      (ARRAY['${PROVIDERS.map((x) => x.model).join("','")}'])[p + 1] AS model,
      (ARRAY['${PROVIDERS.map((x) => x.served).join("','")}'])[p + 1] AS served,
      (ARRAY['${PROVIDERS.map((x) => x.path).join("','")}'])[p + 1] AS path,
      md5($1::uuid::text || i) AS idempotency_key
    FROM c
  ),
  e AS (
    SELECT d.*,
      round(((input_tokens * 0.25 + output_tokens * 2.0) / 1e6 + CASE WHEN p = 2 THEN 0.005 ELSE 0 END)::numeric, 8) AS cost,
      jsonb_build_object('input_tokens', input_tokens, 'output_tokens', output_tokens, 'total_tokens', input_tokens + output_tokens) AS usage,
      jsonb_build_array(lower(q #>> '{topic,title}') || ' best crm', 'crm for agencies ' || (q #>> '{persona,name}'), 'crm comparison ${new Date().getFullYear()}') AS search_queries,
      jsonb_build_object('path', path, 'body', jsonb_build_object('model', model, 'input', jsonb_build_array(
        jsonb_build_object('role', 'system', 'content', '${SYSTEM_PROMPT}'), jsonb_build_object('role', 'user', 'content', q ->> 'text')),
        'tools', '[{"type":"web_search"}]'::jsonb)) AS request,
      jsonb_build_object('id', 'resp_' || md5(item_id::text), 'model', served, 'status', 'completed',
        'output', jsonb_build_array(jsonb_build_object('type', 'message', 'role', 'assistant', 'content', jsonb_build_array(
          jsonb_build_object('type', 'output_text', 'text', text, 'annotations', citations)))),
        'usage', jsonb_build_object('input_tokens', input_tokens, 'output_tokens', output_tokens)) AS response,
      jsonb_build_object('sources', '[]'::jsonb, 'finish_reason', 'stop', 'cost_source', 'price_table', 'price_table_version', '2025-10', 'requested_model', model) AS details,
      jsonb_build_object('version', '${ANALYSIS_VERSION}', 'config_key', $6::text, 'brand_mentioned', mentioned, 'brand_rank', rank, 'top3', coalesce(rank <= 3, false),
        'brand_mentions', CASE WHEN mentioned THEN 1 + i % 3 ELSE 0 END, 'brand_not_known', false, 'sentiment', sentiment,
        'sentiment_score', CASE sentiment WHEN 'positive' THEN round((0.3 + random() * 0.6)::numeric, 3) WHEN 'neutral' THEN round((random() * 0.2 - 0.1)::numeric, 3)
          WHEN 'negative' THEN round((-0.3 - random() * 0.6)::numeric, 3) END,
        'competitors_mentioned', to_jsonb(comps), 'competitors_not_known', '[]'::jsonb,
        'mentions', (SELECT coalesce(jsonb_agg(jsonb_build_object('name', n, 'is_brand', n = '${BRAND}', 'rank', o, 'count', 1 + (o + i) % 3) ORDER BY o), '[]'::jsonb)
                     FROM unnest(ranked) WITH ORDINALITY AS t(n, o)),
        'citations', analyzed, 'citation_count', nc, 'own_citation_count', own_n, 'first_own_citation_position', first_own,
        'cited_domains', to_jsonb(domains), 'own_domain_cited', own_n > 0, 'competitors_cited', to_jsonb(comps_cited),
        'position_adjusted_word_count', CASE WHEN own_n > 0 THEN round((0.05 + random() * 0.3)::numeric, 4) ELSE 0 END) AS analysis
    FROM d
  )`;


/** Seeds run number `k` (finished `end`) with N answered items whose analyses carry `key`. */
async function seedRun(mode: Mode, schema: string, campaignId: string, runId: string, k: number, key: string, end: Date, questions: unknown[]): Promise<void> {
  const s = `"${schema}"`;
  const settings = PROVIDERS.map((x) => ({ provider: x.provider, model: x.model, settings: {} }));
  const started = new Date(end.getTime() - 3_600_000);
  const params = [runId, campaignId, JSON.stringify(questions), questions.length, SENTENCES, key, N, k, COMPETITORS.map((c) => c.name), DOMAINS, DOMAIN_COMPETITOR, end.toISOString()];
  if (mode === 'full') {
    await sql(
      `INSERT INTO ${s}.runs (id, campaign_id, label, provider_settings, samples, prompt_version, filters, status, total_items, created_at, started_at, finished_at)
       VALUES ($1, $2, $3, $4, $5, 'v1', '{"topicIds":[],"personaIds":[]}', 'completed', $6, $7, $7, $8)`,
      [runId, campaignId, `bench run ${k}`, JSON.stringify(settings), Math.ceil(N / (3 * questions.length)), N, started.toISOString(), end.toISOString()],
    );
    await sql(
      `INSERT INTO ${s}.run_items (id, run_id, question_id, provider, model, setting_index, sample_index, idempotency_key, status, attempt_count, created_at, updated_at, started_at, finished_at)
       SELECT ${itemId('$7')}, $1::uuid, (($2::jsonb -> ((i - 1) % $3::int)) ->> 'id')::uuid, (ARRAY['${PROVIDERS.map((x) => x.provider).join("','")}'])[((i - 1) / $3::int) % 3 + 1],
              (ARRAY['${PROVIDERS.map((x) => x.model).join("','")}'])[((i - 1) / $3::int) % 3 + 1], ((i - 1) / $3::int) % 3, (i - 1) / ($3::int * 3),
              md5($1::uuid::text || i), 'succeeded', 1, $5::timestamptz, $6::timestamptz, $5::timestamptz, $6::timestamptz - (i % 3000) * interval '1 second'
       FROM generate_series(1, $4::int) AS i`,
      [runId, JSON.stringify(questions), questions.length, N, started.toISOString(), end.toISOString(), k],
    );
    await sql(
      `WITH ${ANSWERS}
       INSERT INTO ${s}.responses (id, run_item_id, run_id, provider, model, served_model, prompt_version, prompt_hash, request_json, response_json, text, text_search,
         citations_json, search_queries, details, token_usage_json, input_tokens, output_tokens, cost_usd, latency_ms, analysis, cache_hit,
         brand_mentioned, brand_rank, sentiment, analysis_key, own_domain_cited, citation_count, own_citation_count, competitors_mentioned, cited_domains, created_at)
       SELECT gen_random_uuid(), item_id, $1::uuid, provider, model, served, 'v1', md5(q ->> 'text'), request, response, text, to_tsvector('simple'::regconfig, text),
         citations, search_queries, details, usage, input_tokens, output_tokens, cost, latency_ms, analysis, false,
         mentioned, rank, sentiment, $6::text, own_n > 0, nc, own_n, comps, domains, finished_at
       FROM e`,
      params,
    );
  } else {
    const run = {
      id: runId,
      campaignId,
      label: `bench run ${k}`,
      providerSettings: settings,
      samples: Math.ceil(N / (3 * questions.length)),
      promptVersion: 'v1',
      filters: { topicIds: [], personaIds: [] },
      status: 'completed',
      totalItems: N,
      scheduleId: null,
      createdAt: started.toISOString(),
      updatedAt: end.toISOString(),
      startedAt: started.toISOString(),
      finishedAt: end.toISOString(),
    };
    await sql(
      `INSERT INTO ${s}.events (id, entity_type, entity_id, parent_id, event_type, payload) VALUES (gen_random_uuid(), 'run', $1, $2, 'created', $3)`,
      [runId, campaignId, JSON.stringify({ ...run, status: 'running', finishedAt: null })],
    );
    await sql(
      `INSERT INTO ${s}.events (id, entity_type, entity_id, parent_id, event_type, payload) VALUES (gen_random_uuid(), 'run', $1, $2, 'status_changed', $3)`,
      [runId, campaignId, JSON.stringify(run)],
    );
    await sql(
      `WITH ${ANSWERS}
       INSERT INTO ${s}.results (id, run_item_id, run_id, campaign_id, provider, model, status, created_at, updated_at, finished_at, cost_usd, cache_hit, last_error, text_search,
         input_tokens, output_tokens, latency_ms, topic_id, persona_id,
         brand_mentioned, brand_rank, sentiment, analysis_key, own_domain_cited, citation_count, own_citation_count, competitors_mentioned, cited_domains, payload)
       SELECT item_id, item_id, $1::uuid, $2::uuid, provider, model, 'succeeded', $12::timestamptz - interval '1 hour', finished_at, finished_at, cost, false, NULL,
         to_tsvector('simple'::regconfig, text), input_tokens, output_tokens, latency_ms, (q #>> '{topic,id}')::uuid, (q #>> '{persona,id}')::uuid,
         mentioned, rank, sentiment, $6::text, own_n > 0, nc, own_n, comps, domains,
         jsonb_build_object('id', item_id, 'runId', $1::uuid, 'campaignId', $2::uuid, 'questionId', q ->> 'id', 'provider', provider, 'model', model,
           'settingIndex', p, 'sampleIndex', s, 'idempotencyKey', idempotency_key, 'questionText', q ->> 'text', 'topic', q -> 'topic', 'persona', q -> 'persona',
           'attemptCount', 1, 'lastError', NULL, 'createdAt', ${iso(`$12::timestamptz - interval '1 hour'`)}, 'updatedAt', ${iso('finished_at')},
           'startedAt', ${iso(`finished_at - latency_ms * interval '1 millisecond'`)}, 'finishedAt', ${iso('finished_at')},
           'response', jsonb_build_object('text', text, 'citations', citations, 'search_queries', search_queries, 'usage', usage, 'latency_ms', latency_ms, 'cost_usd', cost,
             'served_model', served, 'prompt_version', 'v1', 'prompt_hash', md5(q ->> 'text'), 'cache_hit', false, 'details', details,
             'raw_request', request, 'raw_response', response, 'created_at', ${iso('finished_at')}),
           'analysis', analysis)
       FROM e`,
      params,
    );
  }
}

let SENTENCES: string[] = [];

/** The statements the repository sends for `by`, recorded by a DataSource that answers nothing. */
async function capturedStatements(mode: Mode, schema: string, runIds: string[], by: MetricsDimension | null, key: string): Promise<{ sql: string; params: unknown[] }[]> {
  const seen: { sql: string; params: unknown[] }[] = [];
  const tables: Record<string, string> = { ResponseEntity: 'responses', RunItemEntity: 'run_items', QuestionEntity: 'questions' };
  const ds = {
    getMetadata: (e: { name: string }) => ({ tablePath: `${schema}.${tables[e.name]}`, findColumnWithPropertyName: () => ({ type: 'jsonb' }) }),
    createQueryRunner: () => ({
      query: async (text: string, params: unknown[]) => {
        seen.push({ sql: text, params });
        return { records: [] };
      },
      release: async () => undefined,
    }),
  } as unknown as DataSource;
  const repo: RunMetricsRepository =
    mode === 'full' ? new RunMetricsFullRepository(ds) : new RunMetricsCompatRepository(ds, { db: { schema, useJsonb: true } } as unknown as AppConfig);
  await repo.aggregate(runIds, by, key, 10);
  return seen;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Total Time'?: number;
  'Actual Rows'?: number;
  'Workers Launched'?: number;
  'Sort Method'?: string;
  'Sort Space Used'?: number;
  'Sort Space Type'?: string;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  'Temp Read Blocks'?: number;
  Plans?: PlanNode[];
}

function nodes(n: PlanNode, out: PlanNode[] = []): PlanNode[] {
  out.push(n);
  for (const c of n.Plans ?? []) nodes(c, out);
  return out;
}

/** EXPLAIN (ANALYZE, BUFFERS) of one statement: total time, how the answers' table is read, buffers, sorts. */
async function explain(statement: { sql: string; params: unknown[] }, table: string): Promise<Record<string, unknown>> {
  await sql(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${statement.sql}`, statement.params); // warm, as the timed requests are
  const [row] = await sql<{ 'QUERY PLAN': [{ Plan: PlanNode; 'Execution Time': number; 'Planning Time': number; JIT?: { Functions: number; Timing: { Total: number } } }] }>(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${statement.sql}`, statement.params);
  const plan = row['QUERY PLAN'][0];
  const all = nodes(plan.Plan);
  const scans = all.filter((x) => x['Relation Name'] === table).map((x) => `${x['Node Type']}${x['Index Name'] ? ` using ${x['Index Name']}` : ''} (${Math.round(x['Actual Total Time'] ?? 0)} ms, ${x['Actual Rows']} rows/loop)`);
  const sorts = all.filter((x) => x['Sort Method']).map((x) => `${x['Sort Method']} ${x['Sort Space Used']} kB ${x['Sort Space Type']} (${Math.round(x['Actual Total Time'] ?? 0)} ms)`);
  const text = await sql<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${statement.sql}`, statement.params);
  // What the statement costs in CPU, whatever else the machine runs: one backend (no parallel
  // workers, so all of the work is its own), as configured otherwise (JIT included); least of 3.
  const client = new Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  let cpu = Infinity;
  try {
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    await client.query('SET max_parallel_workers_per_gather = 0');
    for (let i = 0; i < 3; i++) {
      const c0 = cpuMs(pid);
      await client.query(statement.sql, statement.params);
      cpu = Math.min(cpu, cpuMs(pid) - c0);
    }
  } finally {
    await client.end();
  }
  return {
    cpu_ms_serial: cpu,
    execution_ms: Math.round(plan['Execution Time'] * 10) / 10,
    planning_ms: Math.round(plan['Planning Time'] * 10) / 10,
    jit_ms: plan.JIT ? Math.round(plan.JIT.Timing.Total * 10) / 10 : 0,
    scans,
    index_scan: all.some((x) => x['Relation Name'] === table && /Index|Bitmap/.test(x['Node Type'])),
    seq_scan: all.some((x) => x['Relation Name'] === table && x['Node Type'] === 'Seq Scan'),
    workers_launched: all.reduce((n, x) => n + (x['Workers Launched'] ?? 0), 0),
    shared_hit: plan.Plan['Shared Hit Blocks'],
    shared_read: plan.Plan['Shared Read Blocks'],
    temp_read: plan.Plan['Temp Read Blocks'],
    sorts,
    plan: text.map((r) => r['QUERY PLAN']),
  };
}

async function measureMode(mode: Mode): Promise<Record<string, unknown>> {
  const schema = `bench_metrics_${randomUUID().slice(0, 8)}`;
  if (mode === 'compat') await sql(compatSql({ schema, useJsonb: true }));
  const app = await startApi(mode === 'compat' ? { DB_SCHEMA: schema, DB_COMPAT_MODE: 'true', DB_APPLY_MIGRATIONS: 'false' } : { DB_SCHEMA: schema });
  const base = `${app.url}/api/v1`;
  const table = mode === 'full' ? 'responses' : 'results';
  const results: Record<string, unknown> = {};
  try {
    const { campaign, questions } = await importCampaign(base, 'Bench metrics');
    const tracked = trackedBrands({ name: campaign.name, productName: campaign.product_name, brandAliases: campaign.brand_aliases, brandDomains: campaign.brand_domains, competitors: campaign.competitors });
    const currentKey = analysisConfigKey(tracked.brand, tracked.competitors);
    const staleKey = `v0:${'0123456789abcdef'}`;
    const runIds: string[] = [];
    const t0 = performance.now();
    for (let k = 1; k <= RUNS; k++) {
      const runId = randomUUID();
      const stale = RUNS > 1 && k === 1;
      const t1 = performance.now();
      await seedRun(mode, app.schema, campaign.id, runId, k, stale ? staleKey : currentKey, new Date(Date.now() - (RUNS - k) * 86_400_000 - 60_000), questions);
      runIds.push(runId);
      emit({ step: 'seed_run', mode, run: k, items: N, stale, ms: Math.round(performance.now() - t1) });
    }
    const t2 = performance.now();
    for (const t of mode === 'full' ? ['run_items', 'responses', 'runs', 'questions'] : ['results', 'events']) await sql(`VACUUM ANALYZE "${app.schema}"."${t}"`);
    emit({ step: 'seed', mode, runs: RUNS, items_per_run: N, seed_ms: Math.round(t2 - t0), vacuum_analyze_ms: Math.round(performance.now() - t2) });

    const [size] = await sql<Record<string, string>>(
      `SELECT pg_total_relation_size(c.oid) AS total, pg_relation_size(c.oid) AS heap, coalesce(pg_total_relation_size(c.reltoastrelid), 0) AS toast,
              pg_indexes_size(c.oid) AS indexes, c.reltuples::bigint AS rows, c.relpages AS pages
       FROM pg_class c WHERE c.oid = $1::regclass`,
      [`"${app.schema}"."${table}"`],
    );
    const mib = (v: string): number => Math.round((Number(v) / 1048576) * 10) / 10;
    const [avg] = await sql<{ text_bytes: string; answer_chars: string; citations: string }>(
      mode === 'full'
        ? `SELECT avg(octet_length(text))::int AS text_bytes, avg(length(text))::int AS answer_chars, avg(citation_count)::numeric(4,2) AS citations FROM "${app.schema}".responses WHERE run_id = $1`
        : `SELECT avg(octet_length(payload #>> '{response,text}'))::int AS text_bytes, avg(length(payload #>> '{response,text}'))::int AS answer_chars, avg(citation_count)::numeric(4,2) AS citations FROM "${app.schema}".results WHERE run_id = $1`,
      [runIds[runIds.length - 1]],
    );
    results.table = {
      name: table,
      rows: Number(size.rows),
      total_mib: mib(size.total),
      heap_mib: mib(size.heap),
      toast_mib: mib(size.toast),
      indexes_mib: mib(size.indexes),
      heap_bytes_per_row: Math.round(Number(size.heap) / Math.max(1, Number(size.rows))),
      avg_answer_bytes: Number(avg.text_bytes),
      avg_citations: Number(avg.citations),
    };
    emit({ step: 'table', mode, ...(results.table as object) });

    const latest = runIds[runIds.length - 1];
    const checkRun = (by: string | null, staleAnswers: number) => (status: number, body: unknown): void => {
      const b = body as { overall?: { answers: number }; analysis?: { stale_answers: number }; slices?: unknown[] };
      const providers = Math.min(3, Math.ceil(N / (TOPICS * PERSONAS * QUESTIONS_PER_PAIR)));
      const slices = { null: 0, provider: providers, model: providers, topic: TOPICS, persona: PERSONAS }[String(by)];
      if (status !== 200 || b.overall?.answers !== N || b.analysis?.stale_answers !== staleAnswers || b.slices?.length !== slices)
        throw new Error(`GET metrics by=${by}: HTTP ${status}, answers ${b.overall?.answers}, stale ${b.analysis?.stale_answers}, slices ${b.slices?.length} (expected ${N}, ${staleAnswers}, ${slices})`);
    };
    for (const by of [null, 'provider', 'model', 'topic', 'persona'] as const) {
      const r = await timed(`${base}/runs/${latest}/metrics${by ? `?by=${by}` : ''}`, app.child.pid!, checkRun(by, 0));
      results[`run_${by ?? 'overall'}`] = r;
      emit({ step: `run_metrics${by ? `_by_${by}` : ''}`, mode, items: N, ...r });
    }
    if (RUNS > 1) {
      const r = await timed(`${base}/runs/${runIds[0]}/metrics`, app.child.pid!, checkRun(null, N));
      results.run_overall_all_stale = r;
      emit({ step: 'run_metrics_all_stale', mode, items: N, ...r });
    }
    const r = await timed(`${base}/campaigns/${campaign.id}/metrics`, app.child.pid!, (status, body) => {
      const b = body as { runs?: { answers: number; stale_answers: number }[] };
      if (status !== 200 || b.runs?.length !== RUNS || b.runs.some((x) => x.answers !== N)) throw new Error(`GET campaign metrics: HTTP ${status}, ${JSON.stringify(b).slice(0, 300)}`);
    });
    results.campaign = { runs: RUNS, ...r };
    emit({ step: 'campaign_metrics', mode, runs: RUNS, items_per_run: N, ...r });

    // The statements behind the figures, as the API sends them.
    const plans: Record<string, unknown> = {};
    for (const [name, ids, by, key] of [
      ['overall', [latest], null, currentKey],
      ['by_topic', [latest], 'topic', currentKey],
      ['campaign', runIds, 'run', currentKey],
    ] as [string, string[], MetricsDimension | null, string][]) {
      const [groups, competitors, domains] = await capturedStatements(mode, app.schema, ids, by, key);
      const cpu: number[] = [];
      for (const [part, st] of [['groups', groups], ['competitors', competitors], ['domains', domains]] as const) {
        const ex = await explain(st, table);
        const { plan, ...summary } = ex;
        plans[`${name}_${part}`] = summary;
        cpu.push(summary.cpu_ms_serial as number);
        emit({ step: `explain_${name}_${part}`, mode, ...summary });
        if (part === 'groups' && name !== 'by_topic') console.error(`-- ${mode}: EXPLAIN (ANALYZE, BUFFERS) of the ${name} aggregate\n${(plan as string[]).join('\n')}`);
      }
      // The API sends the three at once: on an idle 2-core machine they cannot end before this.
      const sum = cpu.reduce((a, b) => a + b, 0);
      plans[`${name}_cpu`] = { statements_cpu_ms: sum, idle_2_core_floor_ms: Math.max(Math.ceil(sum / 2), ...cpu) };
      emit({ step: `cpu_${name}`, mode, ...(plans[`${name}_cpu`] as object) });
    }
    results.explain = plans;
    return results;
  } finally {
    if (process.env.BENCH_KEEP_SCHEMA) {
      app.child.kill('SIGTERM');
      emit({ kept_schema: app.schema });
    } else await app.stop();
  }
}

async function main(): Promise<void> {
  SENTENCES = sentences(600);
  const out: Record<string, unknown> = {};
  for (const mode of MODES) out[mode] = await measureMode(mode);
  emit({ summary: true, items_per_run: N, runs: RUNS, timed_requests: TIMES, warmup: WARMUP, target_ms: TARGET_MS, load_avg: loadavg()[0], ...out });
  // startApi's RSS sampler keeps the event loop alive when BENCH_KEEP_SCHEMA skips stop().
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
