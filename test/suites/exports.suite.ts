import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { parse as parseCsv } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Response } from 'supertest';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/emulator';
import { FLAT_COLUMNS } from '../../src/exports/export-record';
import { ExportsProcessor } from '../../src/exports/exports.processor';
import { ExportsService } from '../../src/exports/exports.service';
import { verifyWebhookSignature } from '../../src/exports/mappers/webhook.mapper';
import { WorkerModule } from '../../src/worker.module';
import { emulatorEnv } from '../helpers/emulator-env';
import { expectProblem } from '../helpers/problem';
import { adminQuery } from '../helpers/schema';
import { createTestApp, DbMode, TestApp } from '../helpers/test-app';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../helpers/webhook-receiver';

// ---- Shapes, as the API shows them. ----

export type Item = {
  id: string;
  question_id: string;
  question_text: string;
  topic_id: string | null;
  topic_title: string | null;
  persona_id: string | null;
  persona_name: string | null;
  provider: string;
  model: string;
  sample_index: number;
  status: string;
  attempt_count: number;
  last_error: string | null;
  response: null | {
    text: string;
    citations: { url: string; title: string | null; domain: string; position: number }[];
    usage: { input_tokens: number | null; output_tokens: number | null };
    latency_ms: number | null;
    cost_usd: number | null;
    served_model: string | null;
    cache_hit: boolean;
    created_at: string;
  };
  analysis: null | {
    brand_mentioned: boolean;
    brand_rank: number | null;
    sentiment: string | null;
    competitors_mentioned: string[];
    cited_domains: string[];
    own_domain_cited: boolean;
    top3: boolean | null;
    config_key: string | null;
  };
  created_at: string;
  finished_at: string | null;
};

export type ExportRecordJson = Record<string, unknown> & {
  run_id: string;
  run_item_id: string;
  question: { id: string; text: string };
  answer: null | (Record<string, unknown> & { text: string; latency_ms: number | null; created_at: string });
  analysis: Record<string, unknown> | null;
  raw_response?: unknown;
};

type Delivery = { batch: number; rows: number; status: string; attempts: number; http_status: number | null; error: string | null; at: string; duration_ms: number };

export type ExportJson = {
  id: string;
  run_id: string;
  format: string;
  mapper_name: string | null;
  status: string;
  file_url: string | null;
  row_count: number | null;
  size_bytes: number | null;
  error: string | null;
  config: Record<string, unknown>;
  deliveries: Delivery[] | null;
  created_at: string;
  finished_at: string | null;
  expires_at: string | null;
};

type Summary = { id: string; status: string; counts: Record<string, number>; label: string | null };

type MetricsSlice = { key: Record<string, string | null>; answers: number; mentions: number; mention_rate: number | null; share_of_voice: number | null };
type RunMetrics = { overall: Omit<MetricsSlice, 'key'>; slices: MetricsSlice[] };

type Flat = string | number | boolean | null;

export const PROVIDERS = [
  { provider: 'openai', model: 'gpt-5-mini', settings: { web_search: true } },
  { provider: 'perplexity', model: 'perplexity/sonar' },
  { provider: 'gemini', model: 'gemini-2.5-flash' },
];

/** Question texts, topic titles and persona names that a spreadsheet would take for formulas. */
export const FORMULA_QUESTION = '=HYPERLINK("https://evil.example/x","Which CRM should an agency of 5 people choose?")';
export const PLUS_QUESTION = '+1 question: which CRM suits a 12-person agency best?';
export const AT_QUESTION = '@everyone which CRM has the best pipeline view for agencies?';
export const FORMULA_TOPIC = '+CRM for agencies';
export const FORMULA_PERSONA = '@Analyst';

/** The import lines of a run's catalogue: 4 questions, 2 topics (one formula-like) × 2 personas (one formula-like). */
export function catalogueLines(campaignName: string, personaSuffix: string): string[] {
  const texts = [FORMULA_QUESTION, PLUS_QUESTION, AT_QUESTION, 'Which CRM is cheapest for a small agency, and why?'];
  return texts.map((text, i) =>
    JSON.stringify({
      campaign: { name: campaignName, product_name: 'Acme CRM' },
      topic: { title: i < 2 ? FORMULA_TOPIC : 'CRM pricing' },
      persona: { name: i % 2 ? `Founder ${personaSuffix}` : `${FORMULA_PERSONA} ${personaSuffix}`, role: i % 2 ? 'Founder' : 'Analyst', locale: 'en-US' },
      question: { text },
    }),
  );
}

export const BRAND_SETUP = {
  brand_aliases: ['Acme', 'AcmeCRM'],
  brand_domains: ['acme.example'],
  competitors: [
    { name: 'Globex', aliases: ['Globex CRM'], domains: ['globex.example'] },
    { name: 'Initech', aliases: [], domains: ['initech.example'] },
  ],
};

const TERMINAL = ['completed', 'completed_with_errors', 'cancelled'];

/** The environment that makes runs fast against the emulator. */
export const FAST_RUN_ENV: Record<string, string> = {
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
};

// ---- What the contract says, written here again (not imported from src/). ----

/** OWASP: a text cell starting with =, +, -, @, tab or CR gets a leading single quote. */
export const neutralized = (s: string): string => (/^[=+\-@\t\r]/.test(s) ? `'${s}` : s);
export const looksLikeFormula = (v: unknown): boolean => typeof v === 'string' && /^[=+\-@\t\r]/.test(v);

/** The flat row of an item (CSV and XLSX columns), typed, before neutralization. */
export function expectedFlat(item: Item, runId: string, campaignName: string): Record<string, Flat> {
  const r = item.response;
  const a = item.analysis;
  return {
    run_id: runId,
    run_item_id: item.id,
    campaign: campaignName,
    topic: item.topic_title,
    persona: item.persona_name,
    question: item.question_text,
    provider: item.provider,
    model: item.model,
    served_model: r?.served_model ?? null,
    sample_index: item.sample_index,
    status: item.status,
    answer_text: r ? r.text : null,
    citations: r ? r.citations.map((c) => c.url).join('\n') : null,
    cited_domains: a ? a.cited_domains.join('; ') : null,
    brand_mentioned: a ? a.brand_mentioned : null,
    brand_rank: a?.brand_rank ?? null,
    top3: a ? a.top3 : null,
    sentiment: a?.sentiment ?? null,
    competitors_mentioned: a ? a.competitors_mentioned.join('; ') : null,
    own_domain_cited: a ? a.own_domain_cited : null,
    input_tokens: r?.usage.input_tokens ?? null,
    output_tokens: r?.usage.output_tokens ?? null,
    cost_usd: r?.cost_usd ?? null,
    latency_ms: r?.latency_ms ?? null,
    cache_hit: r ? r.cache_hit : null,
    attempt_count: item.attempt_count,
    last_error: item.last_error,
    created_at: item.created_at,
    finished_at: item.finished_at,
  };
}

/** The same row as CSV cells: strings neutralized, booleans true/false, null empty. */
export function expectedCsvRow(item: Item, runId: string, campaignName: string): string[] {
  const flat = expectedFlat(item, runId, campaignName);
  expect(Object.keys(flat).sort()).toEqual([...FLAT_COLUMNS].sort());
  return FLAT_COLUMNS.map((c) => {
    const v = flat[c];
    return v === null ? '' : typeof v === 'string' ? neutralized(v) : String(v);
  });
}

/** The same row as XLSX values: strings neutralized (an empty string reads back as an empty cell), numbers and booleans typed. */
function expectedXlsxRow(item: Item, runId: string, campaignName: string): Flat[] {
  const flat = expectedFlat(item, runId, campaignName);
  return FLAT_COLUMNS.map((c) => {
    const v = flat[c];
    return typeof v === 'string' ? (v === '' ? null : neutralized(v)) : v;
  });
}

/** The JSONL record of an item (the stored analysis is compared apart). */
function expectedRecord(item: Item, runId: string, campaign: { id: string; name: string }): Omit<ExportRecordJson, 'analysis'> {
  const r = item.response;
  return {
    run_id: runId,
    run_item_id: item.id,
    campaign,
    topic: item.topic_id ? { id: item.topic_id, title: item.topic_title } : null,
    persona: item.persona_id ? { id: item.persona_id, name: item.persona_name } : null,
    question: { id: item.question_id, text: item.question_text },
    provider: item.provider,
    model: item.model,
    sample_index: item.sample_index,
    status: item.status,
    attempt_count: item.attempt_count,
    last_error: item.last_error,
    answer: r
      ? {
          text: r.text,
          served_model: r.served_model,
          citations: r.citations.map((c) => ({ position: c.position, url: c.url, title: c.title, domain: c.domain })),
          usage: r.usage,
          latency_ms: r.latency_ms,
          cost_usd: r.cost_usd,
          cache_hit: r.cache_hit,
          created_at: r.created_at,
        }
      : null,
    created_at: item.created_at,
    finished_at: item.finished_at,
  };
}

// ---- HTTP helpers. ----

/** Reads any response body as raw bytes. */
export const binaryParser = (response: unknown, cb: (err: Error | null, body: Buffer) => void): void => {
  // superagent's node response is the IncomingMessage stream.
  const res = response as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
  res.on('error', (err: Error) => cb(err, Buffer.concat(chunks)));
};

export const parseJsonl = (buf: Buffer): ExportRecordJson[] => {
  const text = buf.toString('utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((l) => JSON.parse(l) as ExportRecordJson);
};

/** Every cell of a sheet, row by row, `width` columns. */
function sheetCells(ws: ExcelJS.Worksheet, width: number): unknown[][] {
  const rows: unknown[][] = [];
  for (let r = 1; r <= ws.rowCount; r++) {
    const row = ws.getRow(r);
    rows.push(Array.from({ length: width }, (_, c) => row.getCell(c + 1).value));
  }
  return rows;
}

async function loadXlsx(buf: Buffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  // exceljs' own Buffer type predates Node's generic Buffer.
  await wb.xlsx.load(buf as unknown as ExcelJS.Buffer);
  return wb;
}

/** A workbook's contents: each sheet's name and cells (for comparing two files written at different times). */
async function xlsxContents(buf: Buffer): Promise<{ name: string; cells: unknown[][] }[]> {
  const wb = await loadXlsx(buf);
  return wb.worksheets.map((ws) => ({ name: ws.name, cells: sheetCells(ws, ws.columnCount) }));
}

const today = (): string => new Date().toISOString().slice(0, 10);

/** The Content-Disposition of a download: the run's label, its id and the day it was made (either side of a midnight). */
function expectFileName(res: Response, runId: string, ext: string, days: string[]): void {
  const names = days.map((d) => `attachment; filename="geo-run-weekly-export-${runId}-${d}.${ext}"`);
  expect(names).toContain(res.headers['content-disposition']);
}

/**
 * Exports (GET /runs/{id}/results:download, POST/GET /exports, the webhook mapper) through the
 * real HTTP stack and a real worker, answers from the provider emulator, in one database mode.
 * Every file is read back with an independent parser and compared with the run's items.
 */
export function exportsSuite(file: string, mode: DbMode): void {
  describe(`exports (${mode} schema)`, () => {
    let t: TestApp;
    let emu: EmulatorHandle;
    let worker: INestApplicationContext;
    let receiver: WebhookReceiver;
    let exportDir: string;
    let campaign: { id: string; name: string };
    let run: Summary;
    let items: Item[];

    const SECRET = `whsec-${randomUUID()}-${mode}`;

    const api = (path: string): string => `/api/v1${path}`;
    const get = (path: string) => t.http.get(api(path)).set(t.auth);
    const post = (path: string, body?: unknown) => t.http.post(api(path)).set(t.auth).send(body as object);
    const sql = <T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> => adminQuery<T>(query.replaceAll('$schema', `"${t.schema}"`), params);

    /** A download as raw bytes; fails loudly on anything but 200. */
    const download = async (path: string): Promise<Response & { body: Buffer }> => {
      const res = await get(path).buffer(true).parse(binaryParser);
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${(res.body as Buffer).toString('utf8')}`);
      return res;
    };
    const results = (format: string, extra = ''): Promise<Response & { body: Buffer }> => download(`/runs/${run.id}/results:download?format=${format}${extra}`);

    const listItems = async (runId: string): Promise<Item[]> => {
      const page = (await get(`/runs/${runId}/items?limit=500`).expect(200)).body as { items: Item[]; total: number };
      expect(page.items).toHaveLength(page.total);
      return page.items;
    };
    const waitRun = async (id: string, ms = 30_000): Promise<Summary> => {
      const deadline = Date.now() + ms;
      for (;;) {
        const s = (await get(`/runs/${id}`).expect(200)).body as Summary;
        if (TERMINAL.includes(s.status)) return s;
        if (Date.now() > deadline) throw new Error(`run ${id} still ${s.status} after ${ms} ms: ${JSON.stringify(s.counts)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const createExport = async (body: Record<string, unknown>): Promise<ExportJson> => {
      const res = await post('/exports', body);
      if (res.status !== 202) throw new Error(`POST /exports answered ${res.status}: ${res.text}`);
      return res.body as ExportJson;
    };
    const waitExport = async (id: string, ms = 20_000): Promise<ExportJson> => {
      const deadline = Date.now() + ms;
      for (;;) {
        const e = (await get(`/exports/${id}`).expect(200)).body as ExportJson;
        if (!['queued', 'running'].includes(e.status)) return e;
        if (Date.now() > deadline) throw new Error(`export ${id} still ${e.status} after ${ms} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    /** The analysis JSON stored with each answer, straight from the database. */
    const storedAnalyses = async (runId: string): Promise<Map<string, Record<string, unknown>>> => {
      const rows =
        mode === 'full'
          ? await sql<{ id: string; a: Record<string, unknown> }>(`SELECT run_item_id::text AS id, analysis::jsonb AS a FROM $schema.responses WHERE run_id = $1`, [runId])
          : await sql<{ id: string; a: Record<string, unknown> }>(`SELECT run_item_id::text AS id, payload::jsonb -> 'analysis' AS a FROM $schema.results WHERE run_id = $1 AND status = 'succeeded'`, [runId]);
      return new Map(rows.map((r) => [r.id, r.a]));
    };
    /** Everything the database holds about an export job, as text. */
    const storedExportText = async (id: string): Promise<string> => {
      const rows =
        mode === 'full'
          ? await sql<{ doc: string }>(`SELECT row_to_json(e)::text AS doc FROM $schema.exports e WHERE id = $1`, [id])
          : await sql<{ doc: string }>(`SELECT row_to_json(e)::text AS doc FROM $schema.events e WHERE entity_type = 'export' AND entity_id::text = $1 ORDER BY seq`, [id]);
      expect(rows.length).toBeGreaterThan(0);
      return rows.map((r) => r.doc).join('\n');
    };
    const exportRowCount = async (): Promise<number> => {
      const rows =
        mode === 'full'
          ? await sql<{ n: string }>(`SELECT count(*) AS n FROM $schema.exports`)
          : await sql<{ n: string }>(`SELECT count(DISTINCT entity_id) AS n FROM $schema.events WHERE entity_type = 'export'`);
      return Number(rows[0].n);
    };
    const hookRequests = (exportId: string): ReceivedRequest[] => receiver.requests.filter((r) => r.headers['x-geo-export-id'] === exportId);

    beforeAll(async () => {
      exportDir = mkdtempSync(join(tmpdir(), `geo-exports-${mode}-`));
      receiver = await startWebhookReceiver();
      emu = await startEmulator({ port: 0, seed: `exports-${mode}`, providers: { openai: { latencyMs: 0 }, gemini: { latencyMs: 0 }, perplexity: { latencyMs: 0 } } });
      t = await createTestApp(file, {
        mode,
        env: {
          ...emulatorEnv(emu),
          ...FAST_RUN_ENV,
          EXPORT_DIR: exportDir,
          // Only the receiver's own host and port: any other local target stays refused.
          WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${receiver.port}`,
          WEBHOOK_RETRY_BASE_MS: '10',
          WEBHOOK_MAX_ATTEMPTS: '3',
          WEBHOOK_TIMEOUT_MS: '5000',
        },
      });
      // Created after the app: it reads the same process environment (EXPORT_DIR, WEBHOOK_*).
      worker = await NestFactory.createApplicationContext(WorkerModule, { logger: false });
      await worker.init();

      const campaignName = `Exports ${t.schema}`;
      const lines = catalogueLines(campaignName, t.schema);
      await t.http.post(api('/question-sets:import')).set(t.auth).set('Content-Type', 'application/x-ndjson').send(lines.join('\n')).expect(200);
      const campaigns = (await get('/campaigns?limit=500').expect(200)).body.items as { id: string; name: string }[];
      const c = campaigns.find((x) => x.name === campaignName)!;
      campaign = { id: c.id, name: c.name };
      await t.http.patch(api(`/campaigns/${campaign.id}`)).set(t.auth).send(BRAND_SETUP).expect(200);

      const created = (await post('/runs', { campaign_id: campaign.id, label: 'Weekly export', providers: PROVIDERS, samples: 2 }).expect(201)).body as Summary;
      await post(`/runs/${created.id}/start`).expect(202);
      run = await waitRun(created.id);
      items = await listItems(run.id);
    });

    afterAll(async () => {
      await worker?.close();
      await t?.close();
      await emu?.close();
      await receiver?.close();
      if (exportDir) rmSync(exportDir, { recursive: true, force: true });
    });

    it('ran 24 answers (4 questions × 3 providers × 2 samples) over formula-like questions, topics and personas', () => {
      expect(run).toMatchObject({ status: 'completed', counts: { total: 24, succeeded: 24 } });
      expect(items).toHaveLength(24);
      expect(new Set(items.map((i) => i.question_text))).toEqual(new Set([FORMULA_QUESTION, PLUS_QUESTION, AT_QUESTION, 'Which CRM is cheapest for a small agency, and why?']));
      expect(items.filter((i) => i.topic_title === FORMULA_TOPIC)).toHaveLength(12);
      expect(items.filter((i) => i.persona_name === `${FORMULA_PERSONA} ${t.schema}`)).toHaveLength(12);
      expect(items.filter((i) => (i.response?.citations.length ?? 0) > 0).length).toBeGreaterThan(0);
      expect(items.filter((i) => i.analysis?.brand_mentioned).length).toBeGreaterThan(0);
    });

    describe('CSV download', () => {
      let res: Response & { body: Buffer };
      let text: string;
      const days: string[] = [];

      beforeAll(async () => {
        days.push(today());
        res = await results('csv');
        days.push(today());
        text = res.body.toString('utf8');
      });

      it('is an attachment named after the run, as text/csv', () => {
        expect(res.headers['content-type']).toMatch(/^text\/csv/);
        expectFileName(res, run.id, 'csv', days);
      });

      it('has the flat columns as header, CRLF line ends and no BOM by default', () => {
        expect(res.body.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(false);
        expect(text.charCodeAt(0)).not.toBe(0xfeff);
        expect(text.startsWith(`${FLAT_COLUMNS.join(',')}\r\n`)).toBe(true);
        expect(text.endsWith('\r\n')).toBe(true);
        // Parsing with CRLF as the only record delimiter: a bare LF between records would merge two rows.
        const rows = parseCsv(text, { record_delimiter: ['\r\n'], relax_column_count: false }) as string[][];
        expect(rows).toHaveLength(items.length + 1);
      });

      it('has one row per item, in item order, equal to the item (RFC 4180 quoting of commas, quotes and new lines)', () => {
        const rows = parseCsv(text, { record_delimiter: ['\r\n'], bom: true }) as string[][];
        expect(rows[0]).toEqual([...FLAT_COLUMNS]);
        const body = rows.slice(1);
        expect(body.map((r) => r[1])).toEqual(items.map((i) => i.id));
        items.forEach((item, n) => expect(body[n]).toEqual(expectedCsvRow(item, run.id, campaign.name)));
        // Multi-line cells came through whole.
        expect(items.some((i) => (i.response?.citations.length ?? 0) > 1)).toBe(true);
        expect(body.some((r) => r[FLAT_COLUMNS.indexOf('citations')].includes('\n'))).toBe(true);
      });

      it('neutralizes formula-like text cells with a leading quote, and leaves no cell that starts like a formula', () => {
        const rows = parseCsv(text, { record_delimiter: ['\r\n'] }) as string[][];
        const col = (name: string) => FLAT_COLUMNS.indexOf(name as (typeof FLAT_COLUMNS)[number]);
        const body = rows.slice(1);
        expect(body.filter((r) => r[col('question')] === `'${FORMULA_QUESTION}`)).toHaveLength(6);
        expect(body.filter((r) => r[col('question')] === `'${PLUS_QUESTION}`)).toHaveLength(6);
        expect(body.filter((r) => r[col('question')] === `'${AT_QUESTION}`)).toHaveLength(6);
        expect(body.filter((r) => r[col('topic')] === `'${FORMULA_TOPIC}`)).toHaveLength(12);
        expect(body.filter((r) => r[col('persona')] === `'${FORMULA_PERSONA} ${t.schema}`)).toHaveLength(12);
        for (const r of rows) for (const cell of r) expect(looksLikeFormula(cell)).toBe(false);
      });

      it('starts with a UTF-8 BOM when bom=true, the rest byte for byte the same; bom=false is the default', async () => {
        const withBom = await results('csv', '&bom=true');
        expect(withBom.body.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(true);
        expect(withBom.body.subarray(3).equals(res.body)).toBe(true);
        const without = await results('csv', '&bom=false');
        expect(without.body.equals(res.body)).toBe(true);
      });
    });

    describe('XLSX download', () => {
      let res: Response & { body: Buffer };
      let wb: ExcelJS.Workbook;
      const days: string[] = [];

      beforeAll(async () => {
        days.push(today());
        res = await results('xlsx');
        days.push(today());
        wb = await loadXlsx(res.body);
      });

      it('is an attachment named after the run, as an XLSX workbook with the sheets summary, results and citations', () => {
        expect(res.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
        expectFileName(res, run.id, 'xlsx', days);
        expect(wb.worksheets.map((ws) => ws.name)).toEqual(['summary', 'results', 'citations']);
      });

      it('has, in the results sheet, the flat columns and one row per item equal to the item, typed', () => {
        const cells = sheetCells(wb.getWorksheet('results')!, FLAT_COLUMNS.length);
        expect(cells[0]).toEqual([...FLAT_COLUMNS]);
        expect(cells).toHaveLength(items.length + 1);
        items.forEach((item, n) => expect(cells[n + 1]).toEqual(expectedXlsxRow(item, run.id, campaign.name)));
      });

      it('has one citations row per citation of every answer, in item and position order', () => {
        const ws = wb.getWorksheet('citations')!;
        const cells = sheetCells(ws, 11);
        expect(cells[0]).toEqual(['run_item_id', 'provider', 'model', 'question', 'position', 'url', 'title', 'domain', 'registrable_domain', 'own_domain', 'competitor']);
        const expected = items.flatMap((i) => (i.response?.citations ?? []).map((c) => [i.id, i.provider, i.model, neutralized(i.question_text), c.position, c.url, c.title, c.domain]));
        expect(expected.length).toBeGreaterThan(0);
        expect(cells.length - 1).toBe(expected.length);
        expect(cells.slice(1).map((r) => r.slice(0, 8))).toEqual(expected);
        // The analysis' view of each citation: a registrable domain, and own / competitor flags.
        for (const r of cells.slice(1)) {
          expect(typeof r[8]).toBe('string');
          expect(typeof r[9]).toBe('boolean');
        }
        const own = cells.slice(1).filter((r) => r[9] === true);
        expect(own.every((r) => String(r[8]).endsWith('acme.example'))).toBe(true);
      });

      it('has, in the summary sheet, the metrics overall and per provider, equal to GET /runs/{id}/metrics?by=provider', async () => {
        const m = (await get(`/runs/${run.id}/metrics?by=provider`).expect(200)).body as RunMetrics;
        const ws = wb.getWorksheet('summary')!;
        const cells = sheetCells(ws, 1 + 1 + m.slices.length);
        expect(String(cells[0][0])).toContain(run.id);
        expect(cells[1]).toEqual(['metric', 'overall', ...m.slices.map((s) => s.key.provider)]);
        expect(m.slices.map((s) => s.key.provider).sort()).toEqual(['gemini', 'openai', 'perplexity']);
        const row = (label: string) => cells.find((r) => r[0] === label);
        expect(row('answers')).toEqual(['answers', m.overall.answers, ...m.slices.map((s) => s.answers)]);
        expect(row('mention rate')).toEqual(['mention rate', m.overall.mention_rate, ...m.slices.map((s) => s.mention_rate)]);
        expect(row('share of voice')).toEqual(['share of voice', m.overall.share_of_voice, ...m.slices.map((s) => s.share_of_voice)]);
        // The mention rate, recomputed from the items.
        const answered = items.filter((i) => i.status === 'succeeded' && i.analysis);
        expect(m.overall.mention_rate).toBeCloseTo(answered.filter((i) => i.analysis!.brand_mentioned).length / answered.length, 4);
        expect(row('Globex: mention rate')).toBeDefined();
      });

      it('neutralizes formula-like text cells in every sheet', () => {
        const results = sheetCells(wb.getWorksheet('results')!, FLAT_COLUMNS.length);
        const q = FLAT_COLUMNS.indexOf('question');
        expect(results.filter((r) => r[q] === `'${FORMULA_QUESTION}`)).toHaveLength(6);
        expect(results.filter((r) => r[FLAT_COLUMNS.indexOf('topic')] === `'${FORMULA_TOPIC}`)).toHaveLength(12);
        expect(results.filter((r) => r[FLAT_COLUMNS.indexOf('persona')] === `'${FORMULA_PERSONA} ${t.schema}`)).toHaveLength(12);
        for (const ws of wb.worksheets) {
          for (const r of sheetCells(ws, ws.columnCount)) for (const cell of r) expect(looksLikeFormula(cell)).toBe(false);
          // And no cell is an actual formula.
          ws.eachRow((row) => row.eachCell((cell) => expect(cell.type).not.toBe(ExcelJS.ValueType.Formula)));
        }
      });

      it('cuts a text longer than a cell holds (32,767) with a marker, while JSONL keeps it whole', async () => {
        const victim = items.find((i) => i.response)!;
        const long = `-${'x'.repeat(39_999)}`;
        const setText = (v: string) =>
          mode === 'full'
            ? sql(`UPDATE $schema.responses SET text = $2 WHERE run_item_id = $1`, [victim.id, v])
            : // Assigned to a text or a jsonb column alike (I/O conversion).
              sql(`UPDATE $schema.results SET payload = jsonb_set(payload::jsonb, '{response,text}', to_jsonb($2::text)) WHERE run_item_id = $1`, [victim.id, v]);
        await setText(long);
        try {
          const x = await loadXlsx((await results('xlsx')).body);
          const cells = sheetCells(x.getWorksheet('results')!, FLAT_COLUMNS.length);
          const row = cells.find((r) => r[1] === victim.id)!;
          const cell = String(row[FLAT_COLUMNS.indexOf('answer_text')]);
          expect(cell.length).toBeLessThanOrEqual(32_767);
          expect(cell.startsWith(`'-xxx`)).toBe(true);
          expect(cell).toMatch(/ … \[truncated: 40001 characters in all; .*\]$/);
          const jsonl = parseJsonl((await results('jsonl')).body);
          expect(jsonl.find((r) => r.run_item_id === victim.id)!.answer!.text).toBe(long);
        } finally {
          await setText(victim.response!.text);
        }
        const after = parseJsonl((await results('jsonl')).body);
        expect(after.find((r) => r.run_item_id === victim.id)!.answer!.text).toBe(victim.response!.text);
      });
    });

    describe('JSONL download', () => {
      let res: Response & { body: Buffer };
      let records: ExportRecordJson[];
      const days: string[] = [];

      beforeAll(async () => {
        days.push(today());
        res = await results('jsonl');
        days.push(today());
        records = parseJsonl(res.body);
      });

      it('is an attachment named after the run, as application/x-ndjson', () => {
        expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
        expectFileName(res, run.id, 'jsonl', days);
      });

      it('has one record per item, in item order, equal to the item with its stored analysis, texts exact (not neutralized)', async () => {
        expect(records.map((r) => r.run_item_id)).toEqual(items.map((i) => i.id));
        const stored = await storedAnalyses(run.id);
        items.forEach((item, n) => {
          const { analysis, ...rest } = records[n];
          expect(rest).toEqual(expectedRecord(item, run.id, campaign));
          expect(analysis).toEqual(stored.get(item.id));
          expect(analysis).toMatchObject({
            brand_mentioned: item.analysis!.brand_mentioned,
            brand_rank: item.analysis!.brand_rank,
            sentiment: item.analysis!.sentiment,
            competitors_mentioned: item.analysis!.competitors_mentioned,
            cited_domains: item.analysis!.cited_domains,
            own_domain_cited: item.analysis!.own_domain_cited,
          });
        });
        expect(records.filter((r) => r.question.text === FORMULA_QUESTION)).toHaveLength(6);
        expect(records.filter((r) => (r.topic as { title: string } | null)?.title === FORMULA_TOPIC)).toHaveLength(12);
        expect(res.body.toString('utf8')).not.toContain(`'${FORMULA_QUESTION.slice(0, 10)}`);
        expect(records.every((r) => !('raw_response' in r))).toBe(true);
      });

      it('adds each answer\'s raw provider response with raw=true, and nothing else changes', async () => {
        const raw = parseJsonl((await results('jsonl', '&raw=true')).body);
        expect(raw).toHaveLength(records.length);
        raw.forEach((r, n) => {
          expect(typeof r.raw_response).toBe('object');
          expect(r.raw_response).not.toBeNull();
          expect(Array.isArray(r.raw_response)).toBe(false);
          const { raw_response, ...rest } = r;
          expect(raw_response).toBeDefined();
          expect(rest).toEqual(records[n]);
        });
        const plain = parseJsonl((await results('jsonl', '&raw=false')).body);
        expect(plain).toEqual(records);
      });
    });

    describe('runs with failed items, and without items', () => {
      let failedRun: Summary;
      let failedItems: Item[];

      beforeAll(async () => {
        // Gemini answers 503 to everything: its items fail after RUN_ITEM_ATTEMPTS, the others succeed.
        emu.setConfig({ providers: { gemini: { faults: { rate5xx: 1 } } } });
        try {
          const created = (await post('/runs', { campaign_id: campaign.id, label: 'With failures', providers: PROVIDERS, samples: 1 }).expect(201)).body as Summary;
          await post(`/runs/${created.id}/start`).expect(202);
          failedRun = await waitRun(created.id);
        } finally {
          emu.reset();
        }
        failedItems = await listItems(failedRun.id);
      });

      it('exports failed items with their error and empty answer and analysis columns, in every format', async () => {
        expect(failedRun).toMatchObject({ status: 'completed_with_errors', counts: { total: 12, succeeded: 8, failed: 4 } });
        const failed = failedItems.filter((i) => i.status === 'failed');
        expect(failed).toHaveLength(4);
        expect(failed.every((i) => i.provider === 'gemini' && i.response === null && i.analysis === null && typeof i.last_error === 'string')).toBe(true);

        const csv = parseCsv((await download(`/runs/${failedRun.id}/results:download?format=csv`)).body.toString('utf8'), { record_delimiter: ['\r\n'] }) as string[][];
        expect(csv.slice(1)).toEqual(failedItems.map((i) => expectedCsvRow(i, failedRun.id, campaign.name)));

        const wb = await loadXlsx((await download(`/runs/${failedRun.id}/results:download?format=xlsx`)).body);
        expect(sheetCells(wb.getWorksheet('results')!, FLAT_COLUMNS.length).slice(1)).toEqual(failedItems.map((i) => expectedXlsxRow(i, failedRun.id, campaign.name)));
        const citations = failedItems.reduce((n, i) => n + (i.response?.citations.length ?? 0), 0);
        expect(wb.getWorksheet('citations')!.rowCount).toBe(1 + citations);

        const jsonl = parseJsonl((await download(`/runs/${failedRun.id}/results:download?format=jsonl`)).body);
        expect(jsonl.map((r) => r.run_item_id)).toEqual(failedItems.map((i) => i.id));
        jsonl.forEach((r, n) => {
          const { analysis, ...rest } = r;
          expect(rest).toEqual(expectedRecord(failedItems[n], failedRun.id, campaign));
          if (failedItems[n].status === 'failed') expect(analysis).toBeNull();
        });
      });

      it('exports a run that has no items yet as a header (CSV), empty sheets (XLSX) and an empty file (JSONL)', async () => {
        const fresh = (await post('/runs', { campaign_id: campaign.id, label: 'Not started', providers: PROVIDERS }).expect(201)).body as Summary;
        expect(await listItems(fresh.id)).toEqual([]);
        const csv = (await download(`/runs/${fresh.id}/results:download?format=csv`)).body.toString('utf8');
        expect(csv).toBe(`${FLAT_COLUMNS.join(',')}\r\n`);
        const jsonl = await download(`/runs/${fresh.id}/results:download?format=jsonl`);
        expect(jsonl.body.length).toBe(0);
        expect(jsonl.headers['content-disposition']).toMatch(new RegExp(`^attachment; filename="geo-run-not-started-${fresh.id}-\\d{4}-\\d{2}-\\d{2}\\.jsonl"$`));
        const wb = await loadXlsx((await download(`/runs/${fresh.id}/results:download?format=xlsx`)).body);
        expect(wb.worksheets.map((ws) => ws.name)).toEqual(['summary', 'results', 'citations']);
        expect(sheetCells(wb.getWorksheet('results')!, FLAT_COLUMNS.length)).toEqual([[...FLAT_COLUMNS]]);
        expect(wb.getWorksheet('citations')!.rowCount).toBe(1);
        const job = await waitExport((await createExport({ run_id: fresh.id, format: 'csv' })).id);
        expect(job).toMatchObject({ status: 'succeeded', row_count: 0, size_bytes: Buffer.byteLength(csv) });
      });
    });

    describe('bad download requests', () => {
      const bad = (path: string) => get(path);

      it.each([[''], ['format='], ['format=pdf'], ['format=CSV'], ['format=csv&format=jsonl']])('refuses ?%s with a 400 problem naming format', async (q) => {
        const p = expectProblem(await bad(`/runs/${run.id}/results:download${q ? `?${q}` : ''}`), 400, 'validation_failed');
        expect(p.errors?.some((e) => e.field === 'format')).toBe(true);
      });

      it('refuses an unknown query parameter, and a bom or raw that is not a boolean, with a 400 problem', async () => {
        expectProblem(await bad(`/runs/${run.id}/results:download?format=csv&colour=red`), 400, 'validation_failed');
        expectProblem(await bad(`/runs/${run.id}/results:download?format=csv&bom=yes`), 400, 'validation_failed');
        expectProblem(await bad(`/runs/${run.id}/results:download?format=jsonl&raw=1`), 400, 'validation_failed');
      });

      it('answers 401 without an API key, on every exports route', async () => {
        expectProblem(await t.http.get(api(`/runs/${run.id}/results:download?format=csv`)), 401, 'unauthorized');
        expectProblem(await t.http.post(api('/exports')).send({ run_id: run.id, format: 'csv' }), 401, 'unauthorized');
        expectProblem(await t.http.get(api(`/exports/${randomUUID()}`)), 401, 'unauthorized');
        expectProblem(await t.http.get(api(`/exports/${randomUUID()}/file`)), 401, 'unauthorized');
      });

      it('ignores raw for CSV and bom for JSONL: the same files as without', async () => {
        expect((await results('csv', '&raw=true')).body.equals((await results('csv')).body)).toBe(true);
        expect((await results('jsonl', '&bom=true')).body.equals((await results('jsonl')).body)).toBe(true);
      });

      it('answers 404 for an unknown run and 400 for a malformed id, never a 500', async () => {
        expectProblem(await bad(`/runs/${randomUUID()}/results:download?format=csv`), 404, 'not_found');
        expectProblem(await bad(`/runs/${randomUUID()}/results:download?format=xlsx`), 404, 'not_found');
        expectProblem(await bad(`/runs/${randomUUID()}/results:download?format=jsonl`), 404, 'not_found');
        expectProblem(await bad('/runs/not-a-uuid/results:download?format=csv'), 400, 'validation_failed');
        const odd = await bad(`/runs/${run.id}/results:download?format[]=csv`);
        expect(odd.status).toBe(400);
      });
    });

    describe('export jobs (files)', () => {
      const fileOf = async (id: string): Promise<Buffer> => (await download(`/exports/${id}/file`)).body as Buffer;

      it.each([
        ['csv', {}, ''],
        ['csv', { bom: true }, '&bom=true'],
        ['jsonl', {}, ''],
        ['jsonl', { raw: true }, '&raw=true'],
      ])('writes %s %j: 202 queued, then succeeded, its file byte for byte the streamed download', async (format, opts, query) => {
        const created = await createExport({ run_id: run.id, format, ...opts });
        expect(created).toEqual({
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          run_id: run.id,
          format,
          mapper_name: null,
          status: 'queued',
          file_url: null,
          row_count: null,
          size_bytes: null,
          error: null,
          config: { bom: (opts as { bom?: boolean }).bom === true, raw: (opts as { raw?: boolean }).raw === true },
          deliveries: null,
          created_at: expect.any(String),
          finished_at: null,
          expires_at: null,
        });
        const done = await waitExport(created.id);
        expect(done).toMatchObject({ id: created.id, status: 'succeeded', row_count: items.length, error: null, file_url: `/api/v1/exports/${created.id}/file`, created_at: created.created_at });
        expect(Date.parse(done.finished_at!)).toBeGreaterThanOrEqual(Date.parse(done.created_at));
        // Kept for EXPORT_TTL_SECONDS (7 days by default) after it was written.
        expect(Date.parse(done.expires_at!) - Date.parse(done.finished_at!)).toBeGreaterThan(7 * 86_400_000 - 60_000);
        expect(Date.parse(done.expires_at!) - Date.parse(done.finished_at!)).toBeLessThan(7 * 86_400_000 + 60_000);

        const res = await download(`/exports/${created.id}/file`);
        expect(res.headers['content-disposition']).toBe(`attachment; filename="geo-run-weekly-export-${run.id}-${created.created_at.slice(0, 10)}.${format}"`);
        expect(res.headers['content-type']).toMatch(format === 'csv' ? /^text\/csv/ : /^application\/x-ndjson/);
        expect(done.size_bytes).toBe(res.body.length);
        expect((await stat(join(exportDir, `${created.id}.${format}`))).size).toBe(res.body.length);
        expect(res.body.equals((await results(format, query)).body)).toBe(true);
      });

      it('writes xlsx: the file has the same sheets and cells as the streamed download', async () => {
        const created = await createExport({ run_id: run.id, format: 'xlsx' });
        const done = await waitExport(created.id);
        expect(done).toMatchObject({ status: 'succeeded', row_count: items.length });
        const file = await fileOf(created.id);
        expect(done.size_bytes).toBe(file.length);
        expect(await xlsxContents(file)).toEqual(await xlsxContents((await results('xlsx')).body));
      });

      it('answers 409 for the file while the export is not written yet, then serves it', async () => {
        // The worker's exports consumer stops taking jobs: the export stays queued.
        const consumer = worker.get(ExportsProcessor).worker;
        await consumer.pause();
        let created: ExportJson;
        try {
          created = await createExport({ run_id: run.id, format: 'csv' });
          await new Promise((r) => setTimeout(r, 300));
          expect(((await get(`/exports/${created.id}`).expect(200)).body as ExportJson).status).toBe('queued');
          const p = expectProblem(await get(`/exports/${created.id}/file`), 409, 'conflict');
          expect(p.detail).toContain('queued');
        } finally {
          await consumer.resume();
        }
        const done = await waitExport(created.id);
        expect(done.status).toBe('succeeded');
        expect((await download(`/exports/${created.id}/file`)).body).toEqual((await results('csv')).body);
      });

      it('answers 410 for a file gone from the export directory, and once the export expired', async () => {
        const a = await waitExport((await createExport({ run_id: run.id, format: 'csv' })).id);
        const b = await waitExport((await createExport({ run_id: run.id, format: 'jsonl' })).id);
        expect([a.status, b.status]).toEqual(['succeeded', 'succeeded']);
        await rm(join(exportDir, `${a.id}.csv`));
        expectProblem(await get(`/exports/${a.id}/file`), 410, 'gone');

        // The sweep, a week and a day from now: every file written so far has expired.
        const swept = await worker.get(ExportsService).sweep(new Date(Date.now() + 8 * 86_400_000));
        expect(swept.expired).toBeGreaterThanOrEqual(2);
        const gone = (await get(`/exports/${b.id}`).expect(200)).body as ExportJson;
        expect(gone).toMatchObject({ status: 'expired', file_url: null });
        expectProblem(await get(`/exports/${b.id}/file`), 410, 'gone');
        await expect(stat(join(exportDir, `${b.id}.jsonl`))).rejects.toThrow();
      });

      it('answers 404 for an unknown export (and its file), 400 for a malformed id', async () => {
        expectProblem(await get(`/exports/${randomUUID()}`), 404, 'not_found');
        expectProblem(await get(`/exports/${randomUUID()}/file`), 404, 'not_found');
        expectProblem(await get('/exports/not-a-uuid'), 400, 'validation_failed');
        expectProblem(await get('/exports/not-a-uuid/file'), 400, 'validation_failed');
      });

      it('refuses bad requests: unknown run 404; bad format, unknown mapper, config without mapper, bad webhook config 400 naming fields', async () => {
        const before = await exportRowCount();
        expectProblem(await post('/exports', { run_id: randomUUID(), format: 'csv' }), 404, 'not_found');
        const fields = async (body: unknown): Promise<string[]> => (expectProblem(await post('/exports', body), 400, 'validation_failed').errors ?? []).map((e) => e.field ?? '');
        expect(await fields({ run_id: run.id })).toContain('format');
        expect(await fields({ run_id: run.id, format: 'pdf' })).toContain('format');
        expect(await fields({ run_id: 'nope', format: 'csv' })).toContain('run_id');
        expect(await fields({ run_id: run.id, format: 'csv', colour: 'red' })).toContain('colour');
        expect(await fields({ run_id: run.id, format: 'csv', mapper: 'ftp' })).toContain('mapper');
        expect(await fields({ run_id: run.id, format: 'csv', config: { url: receiver.url(), secret: SECRET } })).toContain('config');
        expect(await fields({ run_id: run.id, format: 'jsonl', mapper: 'webhook', config: { url: receiver.url(), secret: 'short' } })).toEqual(['config.secret']);
        expect(await fields({ run_id: run.id, format: 'jsonl', mapper: 'webhook', config: { url: 'ftp://127.0.0.1/x', secret: SECRET } })).toEqual(['config.url']);
        expect((await fields({ run_id: run.id, format: 'jsonl', mapper: 'webhook', config: { url: 'not a url', secret: 'x'.repeat(513), batch_size: 0 } })).sort()).toEqual([
          'config.batch_size',
          'config.secret',
          'config.url',
        ]);
        expect(await fields({ run_id: run.id, format: 'jsonl', mapper: 'webhook' })).toContain('config');
        expect(await fields({ run_id: run.id, format: 'jsonl', mapper: 'webhook', config: { url: receiver.url(), secret: SECRET, extra: 1 } })).toEqual(['config.extra']);
        // Nothing was recorded, nothing was sent.
        expect(await exportRowCount()).toBe(before);
        expect(receiver.requests.filter((r) => !r.headers['x-geo-export-id'])).toEqual([]);
      });
    });

    describe('webhook exports', () => {
      const verify = (r: ReceivedRequest, secret = SECRET): boolean =>
        verifyWebhookSignature(secret, r.headers['x-geo-timestamp'], r.headers['x-geo-signature'], r.rawBody, Math.floor(Date.now() / 1000));

      it('delivers ceil(items / 5) signed batches whose records are the JSONL records, and lists each delivery', async () => {
        const jsonl = parseJsonl((await results('jsonl')).body);
        const url = receiver.url('/hook?token=abc123');
        const created = await createExport({ run_id: run.id, format: 'jsonl', mapper: 'webhook', config: { url, secret: SECRET, batch_size: 5 } });
        expect(created).toMatchObject({ status: 'queued', mapper_name: 'webhook', config: { url: `http://127.0.0.1:${receiver.port}/hook?token=****`, secret: `****${SECRET.slice(-2)}`, batch_size: 5 } });
        expect(JSON.stringify(created)).not.toContain(SECRET);

        const done = await waitExport(created.id);
        expect(done).toMatchObject({ status: 'succeeded', row_count: items.length, error: null, file_url: null });
        const batches = Math.ceil(items.length / 5);
        const got = hookRequests(created.id);
        expect(got).toHaveLength(batches);
        const bodies = got.map((r) => JSON.parse(r.rawBody.toString('utf8')) as { export_id: string; run_id: string; batch: number; records: ExportRecordJson[] });
        got.forEach((r, n) => {
          expect(r.method).toBe('POST');
          expect(r.url).toBe('/hook?token=abc123');
          expect(r.headers['content-type']).toBe('application/json');
          expect(r.headers['x-geo-delivery-id']).toBe(`${created.id}:${n + 1}`);
          expect(r.headers['x-geo-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
          expect(Math.abs(Number(r.headers['x-geo-timestamp']) - r.receivedAt)).toBeLessThanOrEqual(5);
          expect(verify(r)).toBe(true);
          // A wrong secret, or a body changed by one byte, does not verify.
          expect(verify(r, `${SECRET}x`)).toBe(false);
          expect(verifyWebhookSignature(SECRET, r.headers['x-geo-timestamp'], r.headers['x-geo-signature'], Buffer.concat([r.rawBody, Buffer.from(' ')]), Math.floor(Date.now() / 1000))).toBe(false);
          expect(bodies[n]).toMatchObject({ export_id: created.id, run_id: run.id, batch: n + 1 });
        });
        expect(bodies.map((b) => b.records.length)).toEqual(Array.from({ length: batches }, (_, i) => Math.min(5, items.length - 5 * i)));
        expect(bodies.flatMap((b) => b.records)).toEqual(jsonl);

        expect(done.deliveries).toHaveLength(batches);
        done.deliveries!.forEach((d, n) =>
          expect(d).toEqual({ batch: n + 1, rows: bodies[n].records.length, status: 'delivered', attempts: 1, http_status: 200, error: null, at: expect.any(String), duration_ms: expect.any(Number) }),
        );
        expectProblem(await get(`/exports/${created.id}/file`), 409, 'conflict');
      });

      it('keeps the secret out of every answer and out of the database: only its mask is stored', async () => {
        const created = await createExport({ run_id: run.id, format: 'csv', mapper: 'webhook', config: { url: receiver.url(), secret: SECRET } });
        const done = await waitExport(created.id);
        expect(done.status).toBe('succeeded');
        expect(done.config).toEqual({ url: receiver.url(), secret: `****${SECRET.slice(-2)}`, batch_size: 500 });
        const answer = await get(`/exports/${created.id}`).expect(200);
        expect(answer.text).not.toContain(SECRET);
        const stored = await storedExportText(created.id);
        expect(stored).toContain(`****${SECRET.slice(-2)}`);
        expect(stored).not.toContain(SECRET);
        expect(stored).not.toContain(SECRET.slice(0, 12));
        // Anywhere in the schema's export storage.
        const all = mode === 'full' ? await sql<{ doc: string }>(`SELECT row_to_json(e)::text AS doc FROM $schema.exports e`) : await sql<{ doc: string }>(`SELECT row_to_json(e)::text AS doc FROM $schema.events e`);
        expect(all.some((r) => r.doc.includes(SECRET))).toBe(false);
      });

      it('retries a batch answered 500 and delivers it on the second attempt, signed afresh with the same delivery id', async () => {
        // The first time batch 2 of any export is seen: 500.
        receiver.respondWith((r) => {
          const id = r.headers['x-geo-delivery-id'];
          const seen = receiver.requests.some((x) => x.headers['x-geo-delivery-id'] === id);
          return r.headers['x-geo-batch'] === '2' && !seen ? 500 : 200;
        });
        try {
          const created = await createExport({ run_id: run.id, format: 'jsonl', mapper: 'webhook', config: { url: receiver.url('/retry'), secret: SECRET, batch_size: 5 } });
          const done = await waitExport(created.id);
          expect(done).toMatchObject({ status: 'succeeded', row_count: items.length, error: null });
          const batches = Math.ceil(items.length / 5);
          expect(done.deliveries!.map((d) => [d.batch, d.status, d.attempts, d.http_status])).toEqual(
            Array.from({ length: batches }, (_, i) => [i + 1, 'delivered', i === 1 ? 2 : 1, 200]),
          );
          const got = hookRequests(created.id);
          expect(got).toHaveLength(batches + 1);
          const second = got.filter((r) => r.headers['x-geo-batch'] === '2');
          expect(second.map((r) => r.answered)).toEqual([500, 200]);
          expect(second.map((r) => r.headers['x-geo-delivery-id'])).toEqual([`${created.id}:2`, `${created.id}:2`]);
          expect(second[0].rawBody.equals(second[1].rawBody)).toBe(true);
          for (const r of got) expect(verify(r)).toBe(true);
        } finally {
          receiver.respondWith(() => 200);
        }
      });

      it('records a batch that keeps failing, goes on with the next ones, and fails the export naming how many', async () => {
        receiver.respondWith((r) => (r.url === '/always-1' && r.headers['x-geo-batch'] === '1' ? 503 : 200));
        try {
          const created = await createExport({ run_id: run.id, format: 'jsonl', mapper: 'webhook', config: { url: receiver.url('/always-1'), secret: SECRET, batch_size: 10 } });
          const done = await waitExport(created.id);
          expect(done.status).toBe('failed');
          expect(done.row_count).toBe(items.length);
          expect(done.deliveries!.map((d) => [d.batch, d.rows, d.status, d.attempts, d.http_status])).toEqual([
            [1, 10, 'failed', 3, 503],
            [2, 10, 'delivered', 1, 200],
            [3, items.length - 20, 'delivered', 1, 200],
          ]);
          expect(done.deliveries![0].error).toMatch(/503/);
          expect(hookRequests(created.id).map((r) => [r.headers['x-geo-batch'], r.answered])).toEqual([
            ['1', 503],
            ['1', 503],
            ['1', 503],
            ['2', 200],
            ['3', 200],
          ]);
          // The error counts batches: one of the three was not delivered.
          expect(done.error).toBe('1 of 3 batches (10 of 24 records) were not delivered');
        } finally {
          receiver.respondWith(() => 200);
        }
      });

      it.each([
        ['localhost (a local name)', (port: number) => `http://localhost:${port}/hook`],
        ['127.0.0.2 (loopback)', (port: number) => `http://127.0.0.2:${port}/hook`],
        ['127.0.0.1 on a port not allow-listed', (port: number) => `http://127.0.0.1:${port + 1}/hook`],
        ['[::1] (IPv6 loopback)', (port: number) => `http://[::1]:${port}/hook`],
        ['10.0.0.1 (private)', (port: number) => `http://10.0.0.1:${port}/hook`],
        ['[::ffff:127.0.0.1] (IPv4-mapped loopback)', (port: number) => `http://[::ffff:127.0.0.1]:${port}/hook`],
        ['0.0.0.0 (unspecified)', (port: number) => `http://0.0.0.0:${port}/hook`],
      ])('refuses a target that is not allow-listed and not public: %s → 422 target_refused, nothing recorded or sent', async (_name, url) => {
        const before = { rows: await exportRowCount(), requests: receiver.requests.length };
        const p = expectProblem(await post('/exports', { run_id: run.id, format: 'jsonl', mapper: 'webhook', config: { url: url(receiver.port), secret: SECRET } }), 422, 'target_refused');
        expect(p.errors?.map((e) => e.field)).toEqual(['config.url']);
        expect(JSON.stringify(p)).not.toContain(SECRET);
        await new Promise((r) => setTimeout(r, 200));
        expect(receiver.requests.length).toBe(before.requests);
        expect(await exportRowCount()).toBe(before.rows);
      });
    });
  });
}
