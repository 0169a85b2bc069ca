/**
 * npm run bench:run-reads — what reading a big run costs: GET /runs/{id} (the summary, computed
 * from the database, and served from its one-second Redis cache) and GET /runs/{id}/items (pages,
 * filters, full-text search) on a run of BENCH_ITEMS (100,000) items, 90% answered, seeded
 * straight into Postgres. One request at a time through HTTP against the real API process, so the
 * figures are latencies, not throughput (issue 8's bench:api loads the same routes concurrently).
 * BENCH_MODE=compat measures compat mode.
 */
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { compatSql } from '../src/core/database/offline-sql';
import { API_KEY, emit, sql, startApi } from './bench-helpers';

const N = Number(process.env.BENCH_ITEMS ?? 100_000);
const MODE = process.env.BENCH_MODE === 'compat' ? 'compat' : 'full';
const ANSWERED = Math.floor(N * 0.9);
const FAILED = Math.floor(N * 0.02);

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 10) / 10;
};

async function timed(url: string, times: number, before?: () => Promise<void>): Promise<{ p50: number; p95: number; status: number; total?: number }> {
  const ms: number[] = [];
  let status = 0;
  let total: number | undefined;
  for (let i = 0; i < times; i++) {
    if (before) await before();
    const t0 = performance.now();
    const res = await fetch(url, { headers: { 'X-API-Key': API_KEY } });
    const body = (await res.json()) as { total?: number };
    ms.push(performance.now() - t0);
    status = res.status;
    total = body.total;
  }
  return { p50: pct(ms, 50), p95: pct(ms, 95), status, total };
}

async function seed(schema: string, campaignId: string, runId: string): Promise<void> {
  const s = `"${schema}"`;
  const q = await sql<{ id: string }>(MODE === 'full' ? `SELECT id FROM ${s}.questions LIMIT 1` : `SELECT entity_id AS id FROM ${s}.events WHERE entity_type = 'question' LIMIT 1`);
  const questionId = q[0].id;
  const status = `CASE WHEN i <= ${ANSWERED} THEN 'succeeded' WHEN i <= ${ANSWERED + FAILED} THEN 'failed' ELSE 'queued' END`;
  const id = `('01a2' || lpad(to_hex(i), 28, '0'))::uuid`;
  const text = `'Acme CRM is a good choice for agencies; Globex is the other name here. ' || repeat('Agencies compare pipelines, reporting and price. ', 30) || ' token' || i`;
  if (MODE === 'full') {
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
    // As autovacuum would leave them: statistics and the visibility map (index-only scans).
    await sql(`VACUUM ANALYZE ${s}.run_items`);
    await sql(`VACUUM ANALYZE ${s}.responses`);
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
    await sql(`VACUUM ANALYZE ${s}.results`);
    await sql(`VACUUM ANALYZE ${s}.events`);
  }
}

async function main(): Promise<void> {
  const schema = `bench_reads_${randomUUID().slice(0, 8)}`;
  if (MODE === 'compat') await sql(compatSql({ schema, useJsonb: true }));
  const api = await startApi(MODE === 'compat' ? { DB_SCHEMA: schema, DB_COMPAT_MODE: 'true', DB_APPLY_MIGRATIONS: 'false' } : {});
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  try {
    const h = { 'X-API-Key': API_KEY, 'Content-Type': 'application/x-ndjson' };
    await fetch(`${api.url}/api/v1/question-sets:import`, { method: 'POST', headers: h, body: JSON.stringify({ campaign: 'Bench reads', question: 'Which CRM?' }) });
    const campaigns = (await (await fetch(`${api.url}/api/v1/campaigns`, { headers: { 'X-API-Key': API_KEY } })).json()) as { items: { id: string }[] };
    const campaignId = campaigns.items[0].id;
    const runId = randomUUID();
    const t0 = performance.now();
    await seed(api.schema, campaignId, runId);
    emit({ step: 'seed', mode: MODE, items: N, answered: ANSWERED, ms: Math.round(performance.now() - t0) });

    const base = `${api.url}/api/v1/runs/${runId}`;
    const summaryKey = `bench-${api.schema}:run:${runId}:summary`;
    const results: Record<string, unknown> = {};
    const measure = async (name: string, url: string, times: number, before?: () => Promise<void>): Promise<void> => {
      const r = await timed(url, times, before);
      results[name] = r;
      emit({ step: name, mode: MODE, items: N, ...r });
    };
    await measure('summary_uncached', base, 20, async () => {
      await redis.del(summaryKey);
    });
    await measure('summary_cached', base, 200);
    await measure('items_first_page', `${base}/items?limit=50`, 20);
    await measure('items_deep_page', `${base}/items?limit=50&offset=${Math.floor(N / 2)}`, 20);
    await measure('items_status_failed', `${base}/items?limit=50&status=failed`, 20);
    await measure('items_provider', `${base}/items?limit=50&provider=gemini`, 20);
    await measure('items_mentioned', `${base}/items?limit=50&mentioned=true`, 20);
    await measure('items_q_rare', `${base}/items?limit=50&q=token4242`, 20);
    await measure('items_q_common', `${base}/items?limit=50&q=pipelines`, 10);
    emit({ summary: true, mode: MODE, items: N, load_avg: (await import('node:os')).loadavg()[0], api_peak_rss_mib: Math.round(api.peakRssMiB()), results });
  } finally {
    redis.disconnect();
    if (process.env.BENCH_KEEP_SCHEMA) {
      // For EXPLAIN sessions: the seeded schema stays (drop it by hand).
      api.child.kill('SIGTERM');
      emit({ kept_schema: api.schema });
    } else await api.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
