import { NestFactory } from '@nestjs/core';
import { parse as parseCsv } from 'csv-parse/sync';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EmulatorHandle, startEmulator } from '../src/emulator/emulator';
import { FLAT_COLUMNS } from '../src/exports/export-record';
import { WorkerModule } from '../src/worker.module';
import { emulatorEnv } from './helpers/emulator-env';
import { createTestApp, type DbMode } from './helpers/test-app';
import { BRAND_SETUP, binaryParser, catalogueLines, type ExportRecordJson, FAST_RUN_ENV, type Item, parseJsonl, PROVIDERS } from './suites/exports.suite';

/** What one mode produced: the run's exports and the ids that differ by nature. */
interface Outcome {
  mode: DbMode;
  runId: string;
  items: Item[];
  csv: Buffer;
  csvBom: Buffer;
  jsonl: Buffer;
  jsonlRaw: Buffer;
  /** Every id the run's records carry (run, items, campaign, topics, personas, questions). */
  ids: string[];
}

const SEED = 'exports-parity';

/**
 * A fresh app in `mode` (its own schema) and a worker, against the emulator reset to its start
 * (the same seed, no latency, its count of identical requests cleared); the same catalogue, the
 * same run; its exports downloaded; app and worker closed again. The emulator is shared because
 * Gemini's grounding redirect URLs name its address. One provider call at a time per provider,
 * so that the two samples of a question reach the emulator in item order (the emulator answers
 * the n-th identical request with its n-th answer).
 */
async function runOnce(mode: DbMode, emu: EmulatorHandle): Promise<Outcome> {
  const exportDir = mkdtempSync(join(tmpdir(), `geo-parity-${mode}-`));
  emu.reset();
  const t = await createTestApp(`${__filename}.${mode}`, {
    mode,
    env: { ...emulatorEnv(emu), ...FAST_RUN_ENV, OPENAI_CONCURRENCY: '1', GEMINI_CONCURRENCY: '1', PERPLEXITY_CONCURRENCY: '1', EXPORT_DIR: exportDir },
  });
  const worker = await NestFactory.createApplicationContext(WorkerModule, { logger: false });
  try {
    await worker.init();
    const api = (path: string): string => `/api/v1${path}`;
    const get = (path: string) => t.http.get(api(path)).set(t.auth);
    await t.http.post(api('/question-sets:import')).set(t.auth).set('Content-Type', 'application/x-ndjson').send(catalogueLines('Parity campaign', 'parity').join('\n')).expect(200);
    const campaign = ((await get('/campaigns?limit=500').expect(200)).body.items as { id: string; name: string }[]).find((c) => c.name === 'Parity campaign')!;
    await t.http.patch(api(`/campaigns/${campaign.id}`)).set(t.auth).send(BRAND_SETUP).expect(200);
    const run = (await t.http.post(api('/runs')).set(t.auth).send({ campaign_id: campaign.id, label: 'Parity', providers: PROVIDERS, samples: 2 }).expect(201)).body as { id: string };
    await t.http.post(api(`/runs/${run.id}/start`)).set(t.auth).expect(202);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const s = (await get(`/runs/${run.id}`).expect(200)).body as { status: string; counts: Record<string, number> };
      if (['completed', 'completed_with_errors', 'cancelled'].includes(s.status)) {
        expect(s).toMatchObject({ status: 'completed', counts: { total: 24, succeeded: 24 } });
        break;
      }
      if (Date.now() > deadline) throw new Error(`${mode}: run still ${s.status}: ${JSON.stringify(s.counts)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const download = async (query: string): Promise<Buffer> => {
      const res = await get(`/runs/${run.id}/results:download?${query}`).buffer(true).parse(binaryParser);
      if (res.status !== 200) throw new Error(`${mode}: download ${query}: ${res.status}`);
      return res.body as Buffer;
    };
    const items = ((await get(`/runs/${run.id}/items?limit=500`).expect(200)).body as { items: Item[] }).items;
    const ids = new Set<string>([run.id, campaign.id]);
    for (const i of items) for (const id of [i.id, i.question_id, i.topic_id, i.persona_id]) if (id) ids.add(id);
    return {
      mode,
      runId: run.id,
      items,
      csv: await download('format=csv'),
      csvBom: await download('format=csv&bom=true'),
      jsonl: await download('format=jsonl'),
      jsonlRaw: await download('format=jsonl&raw=true'),
      ids: [...ids],
    };
  } finally {
    await worker.close();
    await t.close();
    rmSync(exportDir, { recursive: true, force: true });
  }
}

/** Each id replaced by a name that says what it is and where it first appeared, so that two runs compare. */
function idNamer(o: Outcome): (v: string) => string {
  const names = new Map<string, string>();
  names.set(o.runId, '<run>');
  o.items.forEach((i, n) => {
    names.set(i.id, `<item ${n}>`);
    if (!names.has(i.question_id)) names.set(i.question_id, `<question ${names.size}>`);
    if (i.topic_id && !names.has(i.topic_id)) names.set(i.topic_id, `<topic ${names.size}>`);
    if (i.persona_id && !names.has(i.persona_id)) names.set(i.persona_id, `<persona ${names.size}>`);
  });
  return (v) => names.get(v) ?? v;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The CSV rows with what differs by nature (ids, timestamps, measured latency) replaced. */
function normalizedCsv(o: Outcome, buf: Buffer): string[][] {
  const name = idNamer(o);
  const rows = parseCsv(buf.toString('utf8'), { record_delimiter: ['\r\n'], bom: true }) as string[][];
  const at = (c: string) => FLAT_COLUMNS.indexOf(c as (typeof FLAT_COLUMNS)[number]);
  return rows.map((r, n) => {
    if (n === 0) return r;
    const out = [...r];
    out[at('run_id')] = name(r[at('run_id')]);
    out[at('run_item_id')] = name(r[at('run_item_id')]);
    for (const c of ['created_at', 'finished_at']) {
      expect(r[at(c)]).toMatch(ISO);
      out[at(c)] = '<time>';
    }
    expect(r[at('latency_ms')]).toMatch(/^\d+$/);
    out[at('latency_ms')] = '<latency>';
    return out;
  });
}

/** The JSONL records with ids, timestamps and measured latency replaced (the campaign's id too). */
function normalizedJsonl(o: Outcome, buf: Buffer): ExportRecordJson[] {
  const name = idNamer(o);
  return parseJsonl(buf).map((r) => {
    const c = r as unknown as Record<string, unknown> & { campaign: { id: string }; topic: { id: string } | null; persona: { id: string } | null };
    expect(c.created_at).toMatch(ISO);
    expect(c.finished_at).toMatch(ISO);
    expect(r.answer!.created_at).toMatch(ISO);
    expect(typeof r.answer!.latency_ms).toBe('number');
    return {
      ...r,
      run_id: name(r.run_id),
      run_item_id: name(r.run_item_id),
      campaign: { ...c.campaign, id: '<campaign>' },
      topic: c.topic ? { ...c.topic, id: name(c.topic.id) } : null,
      persona: c.persona ? { ...c.persona, id: name(c.persona.id) } : null,
      question: { ...r.question, id: name(r.question.id) },
      created_at: '<time>',
      finished_at: '<time>',
      answer: { ...r.answer!, created_at: '<time>', latency_ms: '<latency>' },
    } as unknown as ExportRecordJson;
  });
}

/** Paths (a.b[3].c) where two JSON values differ, for a readable failure. */
function differences(a: unknown, b: unknown, path = '', out: string[] = []): string[] {
  if (out.length > 40) return out;
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], Array.isArray(a) ? `${path}[${k}]` : `${path}.${k}`, out);
  } else if (JSON.stringify(a) !== JSON.stringify(b)) {
    out.push(`${path}: ${JSON.stringify(a)?.slice(0, 120)} ≠ ${JSON.stringify(b)?.slice(0, 120)}`);
  }
  return out;
}

/**
 * The same catalogue, emulator seed and run, once on the full schema and once in compat mode: the
 * CSV and JSONL exports must be the same file but for what differs by nature (ids, timestamps,
 * the measured latency). Anything else that differs is a difference between the two adapters.
 */
describe('exports: full schema and compat mode export the same run identically', () => {
  let emu: EmulatorHandle;
  let full: Outcome;
  let compat: Outcome;

  beforeAll(async () => {
    emu = await startEmulator({ port: 0, seed: SEED, providers: { openai: { latencyMs: 0 }, gemini: { latencyMs: 0 }, perplexity: { latencyMs: 0 } } });
    full = await runOnce('full', emu);
    compat = await runOnce('compat', emu);
  }, 85_000);

  afterAll(async () => {
    await emu?.close();
  });

  it('ran the same items in the same order in both modes', () => {
    const key = (i: Item) => [i.provider, i.model, i.question_text, i.topic_title, i.persona_name, i.sample_index, i.status].join('|');
    expect(full.items).toHaveLength(24);
    expect(compat.items.map(key)).toEqual(full.items.map(key));
  });

  it('writes the same CSV (same header, same cells) but for ids, timestamps and latency', () => {
    const a = normalizedCsv(full, full.csv);
    const b = normalizedCsv(compat, compat.csv);
    expect(a[0]).toEqual([...FLAT_COLUMNS]);
    expect(a).toHaveLength(25);
    expect(differences(b, a)).toEqual([]);
    expect(b).toEqual(a);
    // Not vacuous: the answers, citations and figures are there.
    const col = (c: string) => FLAT_COLUMNS.indexOf(c as (typeof FLAT_COLUMNS)[number]);
    expect(a.slice(1).every((r) => r[col('answer_text')].length > 0)).toBe(true);
    expect(a.slice(1).some((r) => r[col('citations')].length > 0)).toBe(true);
    expect(a.slice(1).every((r) => Number(r[col('cost_usd')]) > 0)).toBe(true);
    // The same lines: line for line, the same length once ids are the same length (36 characters) and latency aside.
    expect(compat.csv.toString('utf8').split('\r\n')[0]).toBe(full.csv.toString('utf8').split('\r\n')[0]);
  });

  it('writes the same CSV with a BOM', () => {
    expect(full.csvBom.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(compat.csvBom.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(normalizedCsv(compat, compat.csvBom)).toEqual(normalizedCsv(full, full.csvBom));
  });

  it('writes the same JSONL records (answer texts, citations, analysis, tokens, cost) but for ids, timestamps and latency', () => {
    const a = normalizedJsonl(full, full.jsonl);
    const b = normalizedJsonl(compat, compat.jsonl);
    expect(a).toHaveLength(24);
    expect(differences(b, a)).toEqual([]);
    // Same keys in the same order: the same serialization, line for line.
    expect(b.map((r) => JSON.stringify(r))).toEqual(a.map((r) => JSON.stringify(r)));
  });

  it('writes the same raw provider responses with raw=true', () => {
    const raw = (o: Outcome) => parseJsonl(o.jsonlRaw).map((r) => r.raw_response);
    const a = raw(full);
    const b = raw(compat);
    expect(a.every((x) => typeof x === 'object' && x !== null)).toBe(true);
    // The emulator stamps its answers with the time ("created", "completed_at"): the fields that differ by nature.
    const untimed = (x: unknown): unknown => JSON.parse(JSON.stringify(x), (k, v: unknown) => (['created', 'created_at', 'completed_at'].includes(k) ? '<time>' : v));
    expect(differences(b.map(untimed), a.map(untimed))).toEqual([]);
  });
});
