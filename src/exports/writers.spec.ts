import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { PassThrough, Writable } from 'node:stream';
import { type ExportRecord, FLAT_COLUMNS, flattenRecord } from './export-record';
import { fitCell, neutralize, writeCsv, writeExport, writeJsonl, writeXlsx, XLSX_CELL_LIMIT } from './writers';

function record(i: number, over: Partial<ExportRecord> = {}): ExportRecord {
  return {
    run_id: 'run-1',
    run_item_id: `item-${i}`,
    campaign: { id: 'c', name: 'Acme visibility' },
    topic: { id: 't', title: i === 0 ? '=HYPERLINK("http://evil.example","click")' : 'CRM pricing' },
    persona: { id: 'p', name: '+Analyst' },
    question: { id: 'q', text: 'Which CRM, "really", for agencies?\nTwo lines' },
    provider: 'openai',
    model: 'gpt-5-mini',
    sample_index: i,
    status: 'succeeded',
    attempt_count: 1,
    last_error: null,
    answer: {
      text: `- Acme is great; Ünïcödé ✓, "quoted", comma, and\r\nCRLF ${i}`,
      served_model: 'gpt-5-mini-2025',
      citations: [
        { position: 1, url: 'https://acme.com/pricing', title: 'Pricing', domain: 'acme.com' },
        { position: 2, url: 'https://g2.com/x', title: null, domain: 'g2.com' },
      ],
      usage: { input_tokens: 10, output_tokens: 20 },
      latency_ms: 123,
      cost_usd: 0.0012,
      cache_hit: false,
      created_at: '2026-11-30T00:00:00.000Z',
    },
    analysis: { brand_mentioned: true, brand_rank: 1, top3: true, sentiment: 'positive', competitors_mentioned: ['Globex', 'Initech'], cited_domains: ['acme.com', 'g2.com'], own_domain_cited: true, citations: [{ position: 1, domain: 'acme.com', own: true, competitor: null }] },
    created_at: '2026-11-30T00:00:00.000Z',
    finished_at: '2026-11-30T00:00:01.000Z',
    ...over,
  };
}

async function collect(write: (out: PassThrough) => Promise<unknown>): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((r) => out.on('end', r));
  await write(out);
  if (!out.writableEnded) out.end();
  await done;
  return Buffer.concat(chunks);
}

const source = (records: ExportRecord[]) => async function* () {
  yield* records;
};

describe('neutralize and fitCell', () => {
  it.each(['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx'])('prefixes %j with a quote', (s) => expect(neutralize(s)).toBe(`'${s}`));
  it.each(['Acme', ' =1', '1-2', '', 'é=1'])('leaves %j alone', (s) => expect(neutralize(s)).toBe(s));

  it("cuts a text longer than Excel's cell limit, with a marker that says so, never splitting a surrogate pair", () => {
    const long = 'a'.repeat(XLSX_CELL_LIMIT + 10);
    const cut = fitCell(long);
    expect(cut.length).toBeLessThanOrEqual(XLSX_CELL_LIMIT);
    expect(cut).toContain(`[truncated: ${long.length} characters in all`);
    const emoji = '😀'.repeat(20_000);
    const c2 = fitCell(emoji);
    expect(c2.length).toBeLessThanOrEqual(XLSX_CELL_LIMIT);
    expect(c2.slice(0, c2.indexOf(' …'))).toBe(emoji.slice(0, c2.indexOf(' …')));
    expect(/[\ud800-\udbff]$/.test(c2.slice(0, c2.indexOf(' …')))).toBe(false);
    expect(fitCell('short')).toBe('short');
  });
});

describe('CSV', () => {
  it('writes RFC 4180 with CRLF, a header, neutralized text cells and numbers as numbers; BOM on request', async () => {
    const records = [record(0), record(1), record(2, { answer: null, analysis: null, status: 'failed', last_error: '@boom' })];
    const buf = await collect((out) => writeCsv({ records: source(records), bom: true }, out));
    const text = buf.toString('utf8');
    expect(text.startsWith('\uFEFF')).toBe(true);
    expect(text.slice(1).split('\r\n')[0]).toBe(FLAT_COLUMNS.join(','));
    const rows = parse(text.slice(1), { columns: true, bom: false }) as Record<string, string>[];
    expect(rows).toHaveLength(3);
    expect(rows[0].topic).toBe(`'=HYPERLINK("http://evil.example","click")`);
    expect(rows[0].persona).toBe("'+Analyst");
    expect(rows[0].question).toBe('Which CRM, "really", for agencies?\nTwo lines');
    expect(rows[0].answer_text).toBe(`'- Acme is great; Ünïcödé ✓, "quoted", comma, and\r\nCRLF 0`);
    expect(rows[0].citations).toBe('https://acme.com/pricing\nhttps://g2.com/x');
    expect(rows[0].competitors_mentioned).toBe('Globex; Initech');
    expect(rows[0].brand_mentioned).toBe('true');
    expect(rows[0].cost_usd).toBe('0.0012');
    expect(rows[2].answer_text).toBe('');
    expect(rows[2].last_error).toBe("'@boom");
    const plain = (await collect((out) => writeCsv({ records: source([record(1)]) }, out))).toString('utf8');
    expect(plain.startsWith('run_id,')).toBe(true);
  });
});

describe('JSONL', () => {
  it('writes one exact record a line, formulas untouched', async () => {
    const records = [record(0), record(1)];
    const lines = (await collect((out) => writeJsonl({ records: source(records) }, out))).toString('utf8').trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l) as ExportRecord)).toEqual(records);
  });
});

describe('XLSX', () => {
  it('writes the summary, results and citations sheets, neutralized, and rolls over at the row limit', async () => {
    const records = Array.from({ length: 5 }, (_, i) => record(i));
    const summary = { title: 'metrics', columns: ['overall'], rows: [['mention rate', 0.5] as [string, number]] };
    const buf = await collect((out) => writeXlsx({ records: source(records), summary }, out, 3));
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(buf as unknown as ArrayBuffer);
    // 3 rows a sheet (header + 2): 5 results → 3 sheets; 10 citations → 5 sheets.
    expect(wb.worksheets.map((w) => w.name)).toEqual(['summary', 'results', 'results (2)', 'results (3)', 'citations', 'citations (2)', 'citations (3)', 'citations (4)', 'citations (5)']);
    const results = wb.getWorksheet('results')!;
    expect(results.getRow(1).values).toEqual([undefined, ...FLAT_COLUMNS]);
    const first = results.getRow(2).values as unknown[];
    expect(first[FLAT_COLUMNS.indexOf('topic') + 1]).toBe(`'=HYPERLINK("http://evil.example","click")`);
    expect(first[FLAT_COLUMNS.indexOf('sample_index') + 1]).toBe(0);
    expect(first[FLAT_COLUMNS.indexOf('brand_mentioned') + 1]).toBe(true);
    const cites = wb.getWorksheet('citations')!;
    expect((cites.getRow(2).values as unknown[]).slice(1)).toEqual(['item-0', 'openai', 'gpt-5-mini', 'Which CRM, "really", for agencies?\nTwo lines', 1, 'https://acme.com/pricing', 'Pricing', 'acme.com', 'acme.com', true]);
    expect(wb.getWorksheet('summary')!.getRow(3).values).toEqual([undefined, 'mention rate', 0.5]);
  });

  it("streams as it goes however many rows: the sheet's XML waits for the zip, and drain waits leave no listeners", async () => {
    // 20,000 rows of ~2 KB answers are ~45 MB of XML. Without waiting for the zip, rows were turned
    // into XML much faster than zlib took it, and it sat in memory: by the time half the rows were
    // read, a few hundred KB had reached the output, the rest came out at the end.
    const answer = { ...record(0).answer!, text: 'Acme CRM is a good choice for agencies. '.repeat(50) };
    let bytes = 0;
    let bytesAtHalf = -1;
    let pass = 0;
    async function* many(): AsyncGenerator<ExportRecord> {
      pass++;
      for (let i = 0; i < 20_000; i++) {
        // A cursor's read between batches, as the database source gives.
        if (i % 500 === 0) await new Promise((r) => setImmediate(r));
        if (pass === 1 && i === 10_000) bytesAtHalf = bytes;
        yield record(i, { answer: { ...answer, text: `${answer.text} ${i}` } });
      }
    }
    const out = new Writable({ highWaterMark: 16 * 1024, write: (chunk: Buffer, _enc, cb) => ((bytes += chunk.length), setImmediate(cb)) });
    expect(await writeXlsx({ records: many }, out)).toBe(20_000);
    // The results sheet is about two thirds of the file: half its rows should be well on their way out.
    expect(bytesAtHalf).toBeGreaterThan(bytes * 0.15);
    expect(out.listenerCount('close')).toBeLessThanOrEqual(2);
    expect(out.listenerCount('drain')).toBeLessThanOrEqual(1);
  }, 60_000);

  it('stops, and closes the source, when the output is destroyed half-way (a client that went away)', async () => {
    let read = 0;
    let closed = false;
    async function* endless(): AsyncGenerator<ExportRecord> {
      try {
        for (let i = 0; ; i++) {
          if (i % 500 === 0) await new Promise((r) => setImmediate(r));
          read++;
          yield record(i, { answer: { ...record(0).answer!, text: `${'An answer of some length. '.repeat(60)} ${i}` } });
        }
      } finally {
        closed = true;
      }
    }
    let bytes = 0;
    const out = new Writable({
      highWaterMark: 16 * 1024,
      write: (chunk: Buffer, _enc, cb) => {
        bytes += chunk.length;
        // The client reads 1 MB, then hangs up.
        if (bytes > 1024 * 1024) out.destroy();
        setImmediate(cb);
      },
    });
    await expect(writeXlsx({ records: endless }, out)).rejects.toThrow(/output stream was closed/);
    expect(closed).toBe(true);
    expect(read).toBeLessThan(200_000);
  }, 60_000);

  it('keeps a long answer within the cell limit', async () => {
    const long = record(0, { answer: { ...record(0).answer!, text: 'x'.repeat(40_000) } });
    const buf = await collect((out) => writeExport('xlsx', { records: source([long]) }, out));
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(buf as unknown as ArrayBuffer);
    const cell = String((wb.getWorksheet('results')!.getRow(2).values as unknown[])[FLAT_COLUMNS.indexOf('answer_text') + 1]);
    expect(cell.length).toBeLessThanOrEqual(XLSX_CELL_LIMIT);
    expect(cell).toContain('[truncated: 40000 characters in all');
  });
});

describe('flattenRecord', () => {
  it('answers nulls, not "undefined", for an item without an answer', () => {
    const flat = flattenRecord(record(0, { answer: null, analysis: null }));
    expect(flat.answer_text).toBeNull();
    expect(flat.brand_mentioned).toBeNull();
    expect(flat.cost_usd).toBeNull();
  });
});
