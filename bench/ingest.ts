/**
 * npm run bench:ingest — agent import (JSON Lines) and spreadsheet ingest (XLSX) of 10,000
 * questions through HTTP against the real API process, timed from the request to the answer
 * (the answer comes after the transaction has committed), with the floor it is measured against:
 * one multi-row INSERT of the same rows, straight into Postgres.
 */
import { randomUUID } from 'node:crypto';
import * as XLSX from 'xlsx';
import { API_KEY, emit, median, sql, startApi } from './bench-helpers';

const N = Number(process.env.BENCH_ROWS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

interface Row {
  topic: string;
  persona: string;
  role: string;
  question: string;
}

function rows(tag: string): Row[] {
  return Array.from({ length: N }, (_, i) => ({
    topic: `Topic ${i % 25}`,
    persona: `Persona ${i % 12}`,
    role: ['CTO', 'COO', 'Founder', 'Analyst'][i % 4],
    question: `Which tool should a team of ${i} people pick for workflow ${tag}-${i}?`,
  }));
}

async function post(url: string, body: string | FormData, headers: Record<string, string>): Promise<{ ms: number; json: Record<string, unknown> }> {
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', body, headers: { 'X-API-Key': API_KEY, ...headers } });
  const json = (await res.json()) as Record<string, unknown>;
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${JSON.stringify(json).slice(0, 500)}`);
  return { ms, json };
}

async function createCampaign(url: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/campaigns`, {
    method: 'POST',
    headers: { 'X-API-Key': API_KEY, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: `Bench ${randomUUID()}` }),
  });
  return ((await res.json()) as { id: string }).id;
}

function xlsxOf(data: Row[]): Buffer {
  const sheet = XLSX.utils.aoa_to_sheet([['Topic title', 'Persona Name', 'Role', 'Question'], ...data.map((r) => [r.topic, r.persona, r.role, r.question])]);
  const book = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(book, sheet, 'Questions');
  return XLSX.write(book, { type: 'buffer', bookType: 'xlsx' }) as Buffer;
}

async function main(): Promise<void> {
  const api = await startApi({ BODY_MAX_BYTES: String(200 * 1024 * 1024) });
  const q = `"${api.schema}"."questions"`;
  try {
    // Warm-up: JIT, connection pool, first-use paths.
    const warmCampaign = `Warm ${randomUUID()}`;
    await post(`${api.url}/api/v1/question-sets:import`, rows('warm').slice(0, 500).map((r) => JSON.stringify({ campaign: warmCampaign, topic: r.topic, persona: r.persona, question: r.question })).join('\n'), { 'Content-Type': 'application/x-ndjson' });

    const jsonlMs: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const campaign = `Bench JSONL ${randomUUID()}`;
      const body = rows(`jsonl${run}`)
        .map((r) => JSON.stringify({ campaign, topic: r.topic, persona: { name: r.persona, role: r.role }, question: r.question }))
        .join('\n');
      const { ms, json } = await post(`${api.url}/api/v1/question-sets:import`, body, { 'Content-Type': 'application/x-ndjson' });
      const [{ n }] = await sql<{ n: string }>(`SELECT count(*) AS n FROM ${q} q JOIN "${api.schema}"."campaigns" c ON c.id = q.campaign_id WHERE c.name = $1`, [campaign]);
      if (json.imported !== N || Number(n) !== N) throw new Error(`JSONL run ${run}: imported ${String(json.imported)}, committed ${n}`);
      jsonlMs.push(ms);
      emit({ bench: 'ingest', case: 'jsonl_import', run, items: N, bytes: Buffer.byteLength(body), ms: Math.round(ms), items_per_s: Math.round((N / ms) * 1000), committed: Number(n) });
    }

    const xlsxMs: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const campaignId = await createCampaign(api.url);
      const file = xlsxOf(rows(`xlsx${run}`));
      const form = new FormData();
      form.set('campaign_id', campaignId);
      form.set('file', new Blob([file], { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }), 'bench.xlsx');
      const { ms, json } = await post(`${api.url}/api/v1/questions:ingest`, form, {});
      const [{ n }] = await sql<{ n: string }>(`SELECT count(*) AS n FROM ${q} WHERE campaign_id = $1`, [campaignId]);
      if (json.imported !== N || Number(n) !== N) throw new Error(`XLSX run ${run}: imported ${String(json.imported)}, committed ${n}`);
      xlsxMs.push(ms);
      emit({ bench: 'ingest', case: 'xlsx_ingest', run, rows: N, bytes: file.length, ms: Math.round(ms), rows_per_s: Math.round((N / ms) * 1000), committed: Number(n) });
    }

    // The floor: the same number of question rows in multi-row INSERTs (5,000 a statement, the
    // importer's chunk), one transaction, from this process, with no parsing, validation or upserts.
    const floorMs: number[] = [];
    const [{ id: topicCampaign }] = await sql<{ id: string }>(`SELECT id FROM "${api.schema}"."campaigns" LIMIT 1`);
    for (let run = 0; run < RUNS; run++) {
      const data = rows(`floor${run}`);
      const { Client } = await import('pg');
      const c = new Client({ connectionString: process.env.DATABASE_URL });
      await c.connect();
      const t0 = performance.now();
      await c.query('BEGIN');
      for (let i = 0; i < data.length; i += 5000) {
        const part = data.slice(i, i + 5000);
        const params: unknown[] = [];
        const values = part.map((r, j) => {
          params.push(randomUUID(), topicCampaign, r.question, `${run}-${i + j}-${randomUUID()}`, '{}');
          const b = j * 5;
          return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5})`;
        });
        await c.query(`INSERT INTO ${q} (id, campaign_id, text, dedupe_key, metadata) VALUES ${values.join(', ')}`, params);
      }
      await c.query('COMMIT');
      const ms = performance.now() - t0;
      await c.end();
      floorMs.push(ms);
      emit({ bench: 'ingest', case: 'floor_multirow_insert', run, rows: N, ms: Math.round(ms) });
    }

    const jsonl = median(jsonlMs);
    const xlsx = median(xlsxMs);
    const floor = median(floorMs);
    emit({
      bench: 'ingest',
      summary: true,
      items: N,
      runs: RUNS,
      jsonl_import_ms_median: Math.round(jsonl),
      jsonl_target_ms: 2000,
      jsonl_met: jsonl <= 2000,
      xlsx_ingest_ms_median: Math.round(xlsx),
      xlsx_target_ms: 3000,
      xlsx_met: xlsx <= 3000,
      floor_multirow_insert_ms_median: Math.round(floor),
      jsonl_vs_floor: Number((jsonl / floor).toFixed(2)),
      xlsx_vs_floor: Number((xlsx / floor).toFixed(2)),
      api_peak_rss_mib: Math.round(api.peakRssMiB()),
    });
  } finally {
    await api.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
