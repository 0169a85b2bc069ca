import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { type ExportRecord, FLAT_COLUMNS, type FlatValue, flattenRecord } from './export-record';

/**
 * The three export formats, each written as records come (a batch of rows in memory at most):
 * CSV (RFC 4180 through csv-stringify, CRLF, optional BOM for Excel), XLSX (exceljs' streaming
 * WorkbookWriter: summary, results and citations sheets) and JSONL (one full record a line).
 * CSV and XLSX neutralize cells a spreadsheet would run as formulas; JSONL keeps the exact text.
 */

export const EXPORT_FORMATS = ['csv', 'xlsx', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  jsonl: 'application/x-ndjson; charset=utf-8',
};

/** The summary sheet of an XLSX export: metric rows, one column per group (overall, then each provider). */
export interface SummaryTable {
  title: string;
  columns: string[];
  rows: [string, ...(string | number | null)[]][];
}

export interface ExportInput {
  /** The records in item order; called once per pass (XLSX reads them twice: results, then citations). */
  records: () => AsyncIterable<ExportRecord>;
  bom?: boolean;
  summary?: SummaryTable;
}

/**
 * OWASP's advice against CSV injection: a cell that starts with `=`, `+`, `-`, `@`, a tab or a
 * carriage return is prefixed with a single quote, so that a spreadsheet shows it as text instead
 * of evaluating it. Only text cells: numbers stay numbers.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
export const neutralize = (s: string): string => (FORMULA_START.test(s) ? `'${s}` : s);

/** Excel's limit of characters in a cell. */
export const XLSX_CELL_LIMIT = 32_767;

/** A text longer than a cell holds, cut with a marker that says so (never silently). */
export function fitCell(s: string, limit = XLSX_CELL_LIMIT): string {
  if (s.length <= limit) return s;
  const marker = ` … [truncated: ${s.length} characters in all; the JSONL export has the full text]`;
  let cut = limit - marker.length;
  // Do not split a surrogate pair.
  if (cut > 0 && s.charCodeAt(cut - 1) >= 0xd800 && s.charCodeAt(cut - 1) <= 0xdbff) cut--;
  return s.slice(0, cut) + marker;
}

/**
 * Waits for a stream's 'drain', or for it or `alsoClosing` (the export's output, when `stream` is
 * an inner one) to close (answered `false`). The listeners of the events that did not come are
 * removed (an export waits thousands of times on the same stream).
 */
async function drainOrClose(stream: Writable, alsoClosing?: Writable): Promise<boolean> {
  if (alsoClosing?.destroyed) return false;
  const ac = new AbortController();
  const { signal } = ac;
  try {
    return await Promise.race([
      once(stream, 'drain', { signal }).then(() => true),
      once(stream, 'close', { signal }).then(() => false),
      ...(alsoClosing ? [once(alsoClosing, 'close', { signal }).then(() => false)] : []),
    ]);
  } finally {
    ac.abort();
  }
}

/** Writes a chunk and waits for the stream to drain when its buffer is full (backpressure). */
async function put(out: Writable, chunk: string): Promise<void> {
  if (out.destroyed) throw new Error('the output stream was closed');
  if (!out.write(chunk) && !(await drainOrClose(out))) throw new Error('the output stream was closed');
}

const csvCell = (v: FlatValue): string | number | boolean | null => (typeof v === 'string' ? neutralize(v) : v);

/** Rows per csv-stringify call: big enough to be cheap, small enough to keep memory flat. */
const CSV_BATCH = 500;

export async function writeCsv(input: ExportInput, out: Writable): Promise<number> {
  const options = { record_delimiter: 'windows' as const, cast: { boolean: (b: boolean) => (b ? 'true' : 'false') } };
  await put(out, (input.bom ? '\uFEFF' : '') + stringify([[...FLAT_COLUMNS]], options));
  let rows = 0;
  let batch: (string | number | boolean | null)[][] = [];
  for await (const r of input.records()) {
    const flat = flattenRecord(r);
    batch.push(FLAT_COLUMNS.map((c) => csvCell(flat[c])));
    rows++;
    if (batch.length >= CSV_BATCH) {
      await put(out, stringify(batch, options));
      batch = [];
    }
  }
  if (batch.length) await put(out, stringify(batch, options));
  return rows;
}

export async function writeJsonl(input: ExportInput, out: Writable): Promise<number> {
  let rows = 0;
  let chunk = '';
  for await (const r of input.records()) {
    chunk += `${JSON.stringify(r)}\n`;
    rows++;
    if (chunk.length >= 256 * 1024) {
      await put(out, chunk);
      chunk = '';
    }
  }
  if (chunk) await put(out, chunk);
  return rows;
}

/** Excel's rows per sheet; a longer run goes on in "results (2)", "citations (2)", … */
export const XLSX_MAX_ROWS = 1_048_576;

const CITATION_COLUMNS = ['run_item_id', 'provider', 'model', 'question', 'position', 'url', 'title', 'domain', 'registrable_domain', 'own_domain', 'competitor'] as const;

const xlsxCell = (v: FlatValue): FlatValue => (typeof v === 'string' ? fitCell(neutralize(v)) : v);

/** A sheet that rolls over to a new one at Excel's row limit, keeping its header. */
class RollingSheet {
  private sheet: ExcelJS.Worksheet | null = null;
  private rowsInSheet = 0;
  private part = 0;

  constructor(
    private readonly wb: ExcelJS.stream.xlsx.WorkbookWriter,
    private readonly name: string,
    private readonly header: readonly string[],
    private readonly maxRows = XLSX_MAX_ROWS,
  ) {}

  private open(): ExcelJS.Worksheet {
    this.sheet?.commit();
    this.part++;
    const ws = this.wb.addWorksheet(this.part === 1 ? this.name : `${this.name} (${this.part})`, { views: [{ state: 'frozen', ySplit: 1 }] });
    const h = ws.addRow([...this.header]);
    h.font = { bold: true };
    h.commit();
    this.rowsInSheet = 1;
    this.sheet = ws;
    return ws;
  }

  add(values: FlatValue[]): void {
    const ws = !this.sheet || this.rowsInSheet >= this.maxRows ? this.open() : this.sheet;
    ws.addRow(values).commit();
    this.rowsInSheet++;
  }

  /**
   * Waits while the sheet's XML waits for the zip. exceljs' streaming writer hands each sheet's
   * XML to the zip (archiver) through a PassThrough but ignores what its write() answers (its
   * StreamBuf does not wait), and zlib compresses on the thread pool, between event-loop turns that
   * a fast producer rarely gives it: the XML piled up in memory (measured: 100,000 rows took the
   * API from 200 to 720 MB, linear in the rows). Reaches into exceljs' WorksheetWriter (`stream`,
   * and the StreamBuf's `pipes`); if a later exceljs changes them, this waits for nothing.
   */
  async zipDrained(out: Writable): Promise<void> {
    type Pipe = Writable & { _writableState?: { needDrain?: boolean } };
    const pipe = (this.sheet as unknown as { stream?: { pipes?: Pipe[] } } | null)?.stream?.pipes?.[0];
    // archiver's PassThrough comes from readable-stream 2, which has no `writableNeedDrain`. When
    // the client goes away, the zip stops reading and this never drains: `out` closing ends the wait.
    if (pipe && !pipe.destroyed && (pipe.writableNeedDrain ?? pipe._writableState?.needDrain) === true) {
      await drainOrClose(pipe, out);
    }
  }

  done(): void {
    if (!this.sheet) this.open();
    this.sheet?.commit();
  }
}

/** How often (rows) the XLSX writer checks the output for backpressure. */
const XLSX_DRAIN_EVERY = 200;

async function drained(out: Writable): Promise<void> {
  if (out.writableNeedDrain) await drainOrClose(out);
}

export async function writeXlsx(input: ExportInput, out: Writable, maxRows = XLSX_MAX_ROWS): Promise<number> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  wb.creator = 'GEO Visibility Engine';
  if (input.summary) {
    const ws = wb.addWorksheet('summary');
    ws.addRow([input.summary.title]).commit();
    const h = ws.addRow(['metric', ...input.summary.columns]);
    h.font = { bold: true };
    h.commit();
    for (const r of input.summary.rows) ws.addRow(r.map((v) => (typeof v === 'string' ? fitCell(neutralize(v)) : v))).commit();
    ws.commit();
  }
  const results = new RollingSheet(wb, 'results', FLAT_COLUMNS, maxRows);
  let rows = 0;
  for await (const r of input.records()) {
    const flat = flattenRecord(r);
    results.add(FLAT_COLUMNS.map((c) => xlsxCell(flat[c])));
    if (++rows % XLSX_DRAIN_EVERY === 0) {
      await results.zipDrained(out);
      await drained(out);
      // The client went away: stop reading the run (the source's cursor is closed on the way out).
      if (out.destroyed) throw new Error('the output stream was closed');
    }
  }
  results.done();
  const citations = new RollingSheet(wb, 'citations', CITATION_COLUMNS, maxRows);
  let n = 0;
  for await (const r of input.records()) {
    if (!r.answer) continue;
    const analysed = new Map<string, Record<string, unknown>>();
    const list = r.analysis && Array.isArray(r.analysis.citations) ? (r.analysis.citations as Record<string, unknown>[]) : [];
    for (const c of list) if (typeof c.position === 'number') analysed.set(String(c.position), c);
    for (const c of r.answer.citations) {
      const a = analysed.get(String(c.position));
      citations.add(
        [
          r.run_item_id,
          r.provider,
          r.model,
          r.question.text,
          c.position,
          c.url,
          c.title,
          c.domain,
          typeof a?.domain === 'string' ? a.domain : null,
          typeof a?.own === 'boolean' ? a.own : null,
          typeof a?.competitor === 'string' ? a.competitor : null,
        ].map(xlsxCell),
      );
      if (++n % XLSX_DRAIN_EVERY === 0) {
        await citations.zipDrained(out);
        await drained(out);
        if (out.destroyed) throw new Error('the output stream was closed');
      }
    }
  }
  citations.done();
  await wb.commit();
  return rows;
}

/** Writes the whole export to `out` and ends it; answers the number of run items written. */
export async function writeExport(format: ExportFormat, input: ExportInput, out: Writable): Promise<number> {
  const rows = format === 'csv' ? await writeCsv(input, out) : format === 'xlsx' ? await writeXlsx(input, out) : await writeJsonl(input, out);
  // exceljs ends the stream when its workbook is committed; the others are ended here.
  if (!out.writableEnded) out.end();
  return rows;
}
