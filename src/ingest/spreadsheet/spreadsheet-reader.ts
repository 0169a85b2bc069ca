import { parse as parseCsv, type CastingContext } from 'csv-parse/sync';
import * as XLSX from 'xlsx';
import { hasQuestionColumn, normalizeHeader, questionColumnScore, scoreHeaderRow } from './column-mapping';
import { SpreadsheetError } from './spreadsheet.errors';
import { inflateZipWithinBounds } from './zip-guard';

export { SpreadsheetError, type SpreadsheetErrorCode } from './spreadsheet.errors';

export interface ParsedSheet {
  format: 'xlsx' | 'xls' | 'ods' | 'csv';
  /** The sheet read (workbooks), null for CSV. */
  sheetName: string | null;
  sheetNames: string[];
  /** CSV only: the separator found. */
  delimiter: string | null;
  /** CSV only: 'utf-8', 'utf-16le', 'utf-16be' or 'windows-1252'. */
  encoding: string | null;
  headerRowNumber: number;
  headers: string[];
  /**
   * Data rows below the header, fully blank rows left out. `rowNumber` is the row a spreadsheet
   * program shows. For CSV that is the record number: every record counts, blank lines included
   * (Excel shows them as rows), and a quoted line break stays inside its record, so a record
   * spanning three physical lines is one row. An Excel "sep=;" first line is not a row (Excel
   * hides it). Cells are trimmed display text, padded to the header's width.
   */
  rows: { rowNumber: number; cells: string[] }[];
}

export interface ReadOptions {
  maxUncompressedBytes: number;
  maxEntries: number;
  maxRows: number;
  sheet?: string;
  /** Header texts of an explicit mapping: the header row is the first row holding them all. */
  headerHints?: string[];
}

/** The header row is looked for in this many rows from the top. */
export const HEADER_SCAN_ROWS = 30;
/** Columns read; a sheet with content further right is refused rather than cut silently. */
export const MAX_COLUMNS = 200;
/** Excel's own cell limit; longer cells (only a crafted file has them) are cut to it. */
export const MAX_CELL_CHARS = 32_767;
/** A CSV record longer than this is refused, before csv-parse and as its max_record_size. */
export const MAX_CSV_RECORD_CHARS = 1_000_000;
/**
 * Blank rows tolerated inside the read window: a sheet is read up to
 * HEADER_SCAN_ROWS + maxRows + this many rows, so blank rows between blocks do not count against
 * maxRows, while a sheet of a million (blank) rows is never materialized. Past the window only
 * blank rows may follow.
 */
export const BLANK_ROW_ALLOWANCE = 1000;
/**
 * Cells (rows × columns, blanks included) one sheet may span once read: the column and row
 * bounds alone would still allow 200 columns of 200,000 rows, 40 million array slots.
 */
export const MAX_GRID_CELLS = 10_000_000;
/** Cells an ODS may expand to through its repeat attributes (SheetJS expands them all). */
export const MAX_ODS_EXPANDED_CELLS = 2_000_000;
/** Bytes of a CSV looked at to choose the separator. */
const SNIFF_BYTES = 64 * 1024;
const SNIFF_RECORDS = 50;
/** A question header at least this sure ("Question", "Frage", "Prompt") settles the sheet choice. */
const CONFIDENT_QUESTION = 0.9;

type Container = 'zip' | 'cfb' | 'text';

function readWindow(maxRows: number): number {
  return HEADER_SCAN_ROWS + maxRows + BLANK_ROW_ALLOWANCE + 1;
}

const EXPECTED: Record<string, Container> = {
  xlsx: 'zip',
  xlsm: 'zip',
  ods: 'zip',
  xls: 'cfb',
  csv: 'text',
  tsv: 'text',
  txt: 'text',
};

const CONTAINER_LABEL: Record<Container, string> = {
  zip: 'a zip-based workbook (.xlsx or .ods)',
  cfb: 'an Excel 97-2003 workbook (.xls) or a password-protected workbook',
  text: 'CSV text',
};

/**
 * Reads an uploaded sheet into header and rows. The format is decided by the bytes, and the
 * file name's extension must agree with them; a zip is inflated under the bounds before any
 * parser sees it.
 */
export async function readSpreadsheet(buf: Buffer, fileName: string, opts: ReadOptions): Promise<ParsedSheet> {
  const ext = extensionOf(fileName);
  const expected = EXPECTED[ext];
  if (!expected) {
    const named = ext ? `".${ext}" files are` : 'a file without an extension is';
    throw new SpreadsheetError('unsupported_type', `${named} not supported; upload .xlsx, .xls, .ods or .csv`);
  }
  if (buf.length === 0) throw new SpreadsheetError('empty', 'the file is empty');

  const content = sniffContent(buf);
  if (content.kind === 'text' && /^[\s,;|"]*$/.test(content.text)) throw new SpreadsheetError('empty', 'the file has no data');
  if (content.kind !== expected) {
    const what = content.kind === 'binary' || content.kind === 'markup' ? content.label : CONTAINER_LABEL[content.kind];
    throw new SpreadsheetError('content_mismatch', `the file is named .${ext} but its content is ${what}${mismatchHint(content.kind, expected)}`);
  }
  if (content.kind === 'text') return readCsv(content.text, content.encoding, opts);
  return readWorkbook(buf, content.kind, opts);
}

function extensionOf(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}

function mismatchHint(kind: ContentKind['kind'], named: Container): string {
  switch (kind) {
    case 'zip':
      return '; rename it to .xlsx (or .ods)';
    case 'cfb':
      return named === 'zip' ? '; open it in Excel and save it as .xlsx, without a password' : '; rename it to .xls';
    case 'text':
      return '; rename it to .csv';
    default:
      return '';
  }
}

// ---------------------------------------------------------------------------------------------
// Content sniffing

type ContentKind =
  | { kind: 'zip' }
  | { kind: 'cfb' }
  | { kind: 'text'; text: string; encoding: string }
  | { kind: 'markup'; label: string }
  | { kind: 'binary'; label: string };

const MAGIC: { bytes: number[]; label: string }[] = [
  { bytes: [0x25, 0x50, 0x44, 0x46], label: 'a PDF document' },
  { bytes: [0x89, 0x50, 0x4e, 0x47], label: 'a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], label: 'a JPEG image' },
  { bytes: [0x47, 0x49, 0x46, 0x38], label: 'a GIF image' },
  { bytes: [0x1f, 0x8b], label: 'a gzip archive' },
  { bytes: [0x52, 0x61, 0x72, 0x21], label: 'a RAR archive' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf], label: 'a 7-Zip archive' },
];

function startsWith(buf: Buffer, bytes: number[]): boolean {
  return buf.length >= bytes.length && bytes.every((b, i) => buf[i] === b);
}

function sniffContent(buf: Buffer): ContentKind {
  // Local file header, or the end record of an archive with no entries.
  if (startsWith(buf, [0x50, 0x4b, 0x03, 0x04]) || startsWith(buf, [0x50, 0x4b, 0x05, 0x06])) return { kind: 'zip' };
  if (startsWith(buf, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return { kind: 'cfb' };
  const magic = MAGIC.find((m) => startsWith(buf, m.bytes));
  if (magic) return { kind: 'binary', label: magic.label };
  const decoded = decodeText(buf);
  if (!decoded) return { kind: 'binary', label: 'binary data, not text' };
  const head = decoded.text.slice(0, 512).trimStart().toLowerCase();
  if (/^<(!doctype html|html)\b/.test(head)) return { kind: 'markup', label: 'an HTML page' };
  if (head.startsWith('<?xml')) return { kind: 'markup', label: 'an XML document (such as an Excel 2003 XML sheet)' };
  return { kind: 'text', ...decoded };
}

/**
 * The text of a CSV as Excel and friends write it: UTF-8 (BOM or not), UTF-16 ("Unicode text",
 * with a BOM, or recognisably without), or Windows-1252, which Excel on Windows uses for "CSV"
 * and which decodes any byte, so it is the fallback when the bytes are not UTF-8. The BOM is
 * dropped. Null when the bytes are not text.
 */
function decodeText(buf: Buffer): { text: string; encoding: string } | null {
  let decoded: { text: string; encoding: string };
  if (startsWith(buf, [0xef, 0xbb, 0xbf])) decoded = { text: new TextDecoder('utf-8').decode(buf.subarray(3)), encoding: 'utf-8' };
  else if (startsWith(buf, [0xff, 0xfe])) decoded = { text: new TextDecoder('utf-16le').decode(buf.subarray(2)), encoding: 'utf-16le' };
  else if (startsWith(buf, [0xfe, 0xff])) decoded = { text: new TextDecoder('utf-16be').decode(buf.subarray(2)), encoding: 'utf-16be' };
  else {
    const utf16 = utf16WithoutBom(buf);
    decoded = utf16
      ? { text: new TextDecoder(utf16).decode(buf), encoding: utf16 }
      : (strictUtf8(buf) ?? { text: decodeWindows1252(buf), encoding: 'windows-1252' });
  }
  return looksLikeText(decoded.text) ? decoded : null;
}

/** WHATWG's windows-1252 for bytes 0x80-0x9F; the rest of the code page is Latin-1. */
const CP1252_HIGH =
  '\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F' +
  '\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178';

/**
 * Node 20.18.3+ decodes TextDecoder('windows-1252') as Latin-1, turning "€" and Excel's curly
 * quotes into C1 control characters (nodejs/node#56542, #60888); Latin-1 plus the 32-entry table
 * is the whole code page, and right whichever Node runs this.
 */
function decodeWindows1252(bytes: Buffer): string {
  return bytes.toString('latin1').replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]);
}

function strictUtf8(buf: Buffer): { text: string; encoding: string } | null {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(buf), encoding: 'utf-8' };
  } catch {
    return null;
  }
}

/** UTF-16 saved without a BOM shows as a NUL in every other byte of ASCII text. */
function utf16WithoutBom(buf: Buffer): string | null {
  const n = Math.min(buf.length, 4096) & ~1;
  if (n < 4) return null;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < n; i += 2) {
    if (buf[i] === 0) evenZeros++;
    if (buf[i + 1] === 0) oddZeros++;
  }
  const half = n / 2;
  if (oddZeros > half * 0.3 && evenZeros < half * 0.02) return 'utf-16le';
  if (evenZeros > half * 0.3 && oddZeros < half * 0.02) return 'utf-16be';
  return null;
}

/** No NUL, and control characters (C0 bar tab and line breaks, and C1) under 1%. */
function looksLikeText(text: string): boolean {
  const sample = text.slice(0, SNIFF_BYTES);
  let controls = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if (c === 0) return false;
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) || (c >= 0x7f && c <= 0x9f)) controls++;
  }
  return controls <= sample.length * 0.01;
}

// ---------------------------------------------------------------------------------------------
// CSV

const DELIMITERS = [',', ';', '\t', '|'] as const;

function readCsv(text: string, encoding: string, opts: ReadOptions): ParsedSheet {
  // Excel writes and honours a first line "sep=;" naming the separator, and does not show it.
  let lineOffset = 0;
  let delimiter: string | undefined;
  const sep = /^sep=(.)\r?\n/i.exec(text);
  if (sep) {
    delimiter = sep[1];
    text = text.slice(sep[0].length);
    lineOffset = 1;
  }
  delimiter ??= sniffDelimiter(text, opts.headerHints);
  text = boundCsv(text, delimiter, opts.maxRows, lineOffset);

  let lastRecordEndLine = 0;
  let records: string[][] = [];
  let failure: unknown = null;
  // csv-parse builds a full CsvError, stack trace and all, for every record whose width differs
  // from the first one's, even with relax_column_count; a title line above the header makes that
  // every record (30 µs each). Without stacks it costs a third. The call is synchronous, so the
  // setting cannot leak into other work.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    records = parseCsv(text, {
      delimiter,
      quote: '"',
      escape: '"',
      relax_column_count: true,
      relax_quotes: false,
      skip_empty_lines: false,
      // Spaces around a quoted field ("a", "b") are common by hand and harmless; cells are trimmed anyway.
      ltrim: true,
      rtrim: true,
      bom: false,
      max_record_size: MAX_CSV_RECORD_CHARS,
      on_record: (record: string[], context: CastingContext) => {
        lastRecordEndLine = context.lines;
        return record;
      },
    }) as string[][];
  } catch (err) {
    failure = err;
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  if (failure) throw csvError(failure, lastRecordEndLine, lineOffset);
  const grid = records.map((r) => r.map(cell));
  if (grid.every(isBlank)) throw new SpreadsheetError('empty', 'the file has no data');
  const header = locateHeader(grid, opts.headerHints);
  if (header === null) throw noQuestionColumn(grid, opts.headerHints, null);
  return buildSheet(grid, header, opts.maxRows, [], false, {
    format: 'csv',
    sheetName: null,
    sheetNames: [],
    delimiter,
    encoding,
  });
}

function cell(value: unknown): string {
  // raw: false hands over display text; anything else is a library surprise, read as plainly as possible.
  const text =
    typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
  // Cut before trimming: one shared string can fill a million cells of a crafted workbook, and
  // a slice is a view where a trimmed copy would be a copy per cell.
  return (text.length > MAX_CELL_CHARS ? text.slice(0, MAX_CELL_CHARS) : text).trim();
}

function csvError(err: unknown, lastRecordEndLine: number, lineOffset: number): SpreadsheetError {
  if (err instanceof SpreadsheetError) return err;
  const e = err as { code?: string; message?: string; lines?: number; records?: number };
  const line = (e.lines ?? lastRecordEndLine + 1) + lineOffset;
  const row = e.records !== undefined ? e.records + 1 : undefined;
  switch (e.code) {
    case 'CSV_QUOTE_NOT_CLOSED': {
      const start = lastRecordEndLine + 1 + lineOffset;
      return new SpreadsheetError(
        'malformed',
        `line ${start}: quote not closed; the quoted field that starts on this line runs to the end of the file`,
        row,
      );
    }
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE': {
      const got = /got "(.*?)"/.exec(e.message ?? '')?.[1];
      return new SpreadsheetError(
        'malformed',
        `line ${line}: a closing quote is followed by ${got ? `"${got}"` : 'text'} instead of a separator; inside a quoted field a quote must be doubled ("")`,
        row,
      );
    }
    case 'INVALID_OPENING_QUOTE': {
      const value = /value is (".*")/.exec(e.message ?? '')?.[1];
      return new SpreadsheetError(
        'malformed',
        `line ${line}: a quote appears inside an unquoted field${value ? ` (after ${value})` : ''}; put the whole field in quotes and double the quote ("")`,
        row,
      );
    }
    case 'CSV_MAX_RECORD_SIZE':
      // A size bound, like the zip bound, rather than a defect of the file.
      return new SpreadsheetError('too_large_uncompressed', `line ${line}: the row is longer than ${MAX_CSV_RECORD_CHARS.toLocaleString('en')} characters`, row);
    default:
      return new SpreadsheetError('malformed', `line ${line}: the CSV cannot be read (${e.message ?? String(err)})`, row);
  }
}

interface CsvField {
  start: number;
  end: number;
  quoted: boolean;
  /** Anything but blanks and a pair of quotes. */
  content: boolean;
}

/**
 * One quote-aware pass over CSV text, calling back per field and per record (`line` is the
 * physical line the record starts on). It is hand-written because the job is not parsing:
 * csv-parse has no cap on columns and spends seconds on a line of five million separators, so
 * the separators are counted (and cut) before it runs; and the separator has to be chosen before
 * any parser can be configured. Quotes follow RFC 4180 as csv-parse reads them; where they are
 * broken csv-parse reports it, this walk only needs to agree on the well-formed part.
 */
function walkCsv(
  text: string,
  delimiter: string,
  end: number,
  onField: (f: CsvField) => void,
  onRecord: (start: number, end: number, line: number, unclosedQuote: boolean) => boolean | void,
): void {
  const d = delimiter.charCodeAt(0);
  const QUOTE = 0x22;
  const CR = 0x0d;
  const LF = 0x0a;
  let pos = 0;
  let line = 1;
  let recordStart = 0;
  let recordLine = 1;
  let fieldStart = 0;
  let atFieldStart = true;
  let quoted = false;
  let inQuotes = false;
  let content = false;
  const closeField = (at: number): void => {
    onField({ start: fieldStart, end: at, quoted, content });
    fieldStart = at + 1;
    atFieldStart = true;
    quoted = false;
    content = false;
  };
  while (pos < end) {
    const c = text.charCodeAt(pos);
    if (inQuotes) {
      if (c === QUOTE) {
        if (text.charCodeAt(pos + 1) === QUOTE) {
          content = true;
          pos += 2;
          continue;
        }
        inQuotes = false;
      } else {
        if (c === LF || (c === CR && text.charCodeAt(pos + 1) !== LF)) line++;
        content = true;
      }
      pos++;
      continue;
    }
    if (c === d) {
      closeField(pos);
      pos++;
      continue;
    }
    if (c === CR || c === LF) {
      closeField(pos);
      const next = c === CR && text.charCodeAt(pos + 1) === LF ? pos + 2 : pos + 1;
      if (onRecord(recordStart, pos, recordLine, false) === false) return;
      line++;
      pos = next;
      fieldStart = pos;
      recordStart = pos;
      recordLine = line;
      continue;
    }
    if (c === QUOTE && atFieldStart) {
      inQuotes = true;
      quoted = true;
      atFieldStart = false;
    } else if (c !== 0x20 && c !== 0x09) {
      atFieldStart = false;
      content = true;
    }
    pos++;
  }
  if (pos > recordStart || fieldStart < pos) {
    closeField(pos);
    onRecord(recordStart, pos, recordLine, inQuotes);
  }
}

function fieldText(text: string, f: CsvField): string {
  const raw = text.slice(f.start, f.end).trim();
  if (!f.quoted) return raw;
  return raw.slice(1, raw.endsWith('"') && raw.length > 1 ? -1 : undefined).replace(/""/g, '"');
}

/**
 * Chooses the separator: the one under which a row within the first lines reads as the best
 * header (with a question column, or all the hinted headers), then the one whose count per line
 * is most consistent with that header's, then the usual order , ; tab |. The header alone can
 * decide: European Excel writes ";" while its questions are full of commas.
 */
function sniffDelimiter(text: string, hints: string[] | undefined): string {
  const cut = text.length > SNIFF_BYTES;
  const end = cut ? SNIFF_BYTES : text.length;
  let best: { delimiter: string; score: number; splits: boolean; consistency: number } | null = null;
  for (const delimiter of DELIMITERS) {
    const rows: string[][] = [];
    let row: string[] = [];
    walkCsv(
      text,
      delimiter,
      end,
      (f) => row.push(fieldText(text, f)),
      () => {
        rows.push(row);
        row = [];
        return rows.length < SNIFF_RECORDS;
      },
    );
    // The last record of a cut sample may itself be cut.
    if (cut && rows.length > 1) rows.pop();
    const header = locateHeader(rows, hints);
    const score = header === null ? 0 : headerScore(rows[header], hints);
    const nonBlank = rows.filter((r, i) => !isBlank(r) && (header === null || i >= header));
    const width = header === null ? mode(nonBlank.map((r) => r.length)) : rows[header].length;
    const consistency = nonBlank.length ? nonBlank.filter((r) => r.length === width).length / nonBlank.length : 0;
    // normalizeHeader reads "Question;;;" as "question" whatever the separator, so on equal
    // scores the separator that really splits the header wins.
    const splits = header !== null && rows[header].length > 1;
    const sameScore = best !== null && Math.abs(score - best.score) <= 1e-9;
    const better =
      !best ||
      score > best.score + 1e-9 ||
      (sameScore && splits && !best.splits) ||
      (sameScore && splits === best.splits && consistency > best.consistency + 1e-9);
    if (better) best = { delimiter, score, splits, consistency };
  }
  return best?.delimiter ?? ',';
}

function mode(values: number[]): number {
  const counts = new Map<number, number>();
  let best = 0;
  let bestCount = 0;
  for (const v of values) {
    const n = (counts.get(v) ?? 0) + 1;
    counts.set(v, n);
    if (n > bestCount || (n === bestCount && v > best)) [best, bestCount] = [v, n];
  }
  return best;
}

/**
 * Bounds a CSV before csv-parse sees it: a record with more than MAX_COLUMNS fields loses its
 * empty trailing ones (Excel pads rows with separators) or, with content beyond, is refused; a
 * record longer than MAX_CSV_RECORD_CHARS is refused (csv-parse grows its field buffer in a way
 * that takes half a second per million characters); a quote left open is reported where its
 * record starts; more non-blank records than maxRows + HEADER_SCAN_ROWS is too many rows whatever
 * the header turns out to be; past the read window only blank records may follow, and they are
 * cut (csv-parse takes two seconds per million of them). Line breaks are kept, so line numbers
 * still match the file.
 */
function boundCsv(text: string, delimiter: string, maxRows: number, lineOffset: number): string {
  const maxNonBlank = maxRows + HEADER_SCAN_ROWS;
  const window = readWindow(maxRows);
  let windowEnd = -1;
  const parts: string[] = [];
  let copied = 0;
  let fields = 0;
  let contentEnd = -1;
  let contentFields = 0;
  let nonBlank = 0;
  let records = 0;
  walkCsv(
    text,
    delimiter,
    text.length,
    (f) => {
      fields++;
      if (f.content) [contentEnd, contentFields] = [f.end, fields];
    },
    (start, end, line, unclosedQuote) => {
      const at = line + lineOffset;
      const row = ++records;
      if (row > window) {
        if (contentEnd >= 0) throw tooManyRows(maxRows, window);
        if (windowEnd < 0) windowEnd = start;
        fields = 0;
        contentFields = 0;
        return;
      }
      if (unclosedQuote) {
        throw new SpreadsheetError('malformed', `line ${at}: quote not closed; the quoted field in the row starting on this line runs to the end of the file`, row);
      }
      if (contentFields > MAX_COLUMNS) {
        throw new SpreadsheetError('malformed', `line ${at}: the row uses ${contentFields.toLocaleString('en')} columns; at most ${MAX_COLUMNS} are read`, row);
      }
      // Separators padding a row past MAX_COLUMNS are cut below and do not count.
      const kept = fields > MAX_COLUMNS ? Math.max(contentEnd, start) : end;
      if (kept - start > MAX_CSV_RECORD_CHARS) {
        throw new SpreadsheetError('too_large_uncompressed', `line ${at}: the row is longer than ${MAX_CSV_RECORD_CHARS.toLocaleString('en')} characters`, row);
      }
      if (contentEnd >= 0 && ++nonBlank > maxNonBlank) throw tooManyRows(maxRows);
      if (fields > MAX_COLUMNS) {
        parts.push(text.slice(copied, contentEnd >= 0 ? contentEnd : start));
        copied = end;
      }
      fields = 0;
      contentEnd = -1;
      contentFields = 0;
    },
  );
  if (copied === 0 && windowEnd < 0) return text;
  parts.push(text.slice(copied, windowEnd < 0 ? undefined : windowEnd));
  return parts.join('');
}

// ---------------------------------------------------------------------------------------------
// Workbooks

async function readWorkbook(buf: Buffer, container: 'zip' | 'cfb', opts: ReadOptions): Promise<ParsedSheet> {
  let format: ParsedSheet['format'] = 'xls';
  if (container === 'zip') {
    const names: string[] = [];
    const files = await inflateZipWithinBounds(buf, opts, (name) => {
      names.push(name);
      return name === 'mimetype' || name === 'content.xml';
    });
    const mimetype = files.get('mimetype')?.toString('latin1') ?? '';
    const ods =
      mimetype.startsWith('application/vnd.oasis.opendocument.spreadsheet') ||
      (files.has('content.xml') && !names.includes('[Content_Types].xml'));
    if (!ods && !names.includes('[Content_Types].xml')) {
      throw new SpreadsheetError('malformed', 'the file is a zip archive but not a workbook (it has no [Content_Types].xml or content.xml)');
    }
    const content = files.get('content.xml');
    if (ods && content) assertOdsExpansionWithinBounds(content.toString('utf8'));
    format = ods ? 'ods' : 'xlsx';
  }

  const window = readWindow(opts.maxRows);
  let wb: XLSX.WorkBook;
  try {
    wb = XLSX.read(buf, {
      type: 'buffer',
      dense: true,
      sheetRows: window,
      cellDates: false,
      cellFormula: false,
      cellHTML: false,
      cellNF: false,
      cellStyles: false,
      sheetStubs: false,
      bookVBA: false,
      bookDeps: false,
      bookFiles: false,
      bookProps: false,
      WTF: false,
    });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (/password|encrypt/i.test(reason)) {
      throw new SpreadsheetError('malformed', 'the workbook is password-protected; save it without a password and upload it again');
    }
    throw new SpreadsheetError('malformed', `the workbook is damaged and cannot be read (${reason})`);
  }

  const sheetNames = [...wb.SheetNames];
  const base = { format, sheetNames, delimiter: null, encoding: null };
  if (opts.sheet !== undefined) {
    const name = sheetNames.find((n) => n === opts.sheet) ?? sheetNames.find((n) => normalizeHeader(n) === normalizeHeader(opts.sheet ?? ''));
    if (name === undefined) {
      throw new SpreadsheetError('sheet_not_found', `sheet "${opts.sheet}" not found; the workbook has ${listNames(sheetNames)}`);
    }
    const sheet = sheetGrid(wb.Sheets[name], window);
    if (sheet.grid.every(isBlank)) throw new SpreadsheetError('empty', `sheet "${name}" has no data`);
    const header = locateHeader(sheet.grid, opts.headerHints);
    if (header === null) throw noQuestionColumn(sheet.grid, opts.headerHints, name);
    return finishSheet(sheet, header, name, opts, base);
  }

  // The first sheet (visible ones first) whose header surely names the question wins; failing
  // that, the sheet with the best header that has a question column at all, so a cover sheet
  // titled "Question set for Q3" does not shadow the real one.
  const hidden = new Set((wb.Workbook?.Sheets ?? []).filter((s) => s.Hidden).map((s) => s.name));
  const order = [...sheetNames.filter((n) => !hidden.has(n)), ...sheetNames.filter((n) => hidden.has(n))];
  let firstNonEmpty: { name: string; grid: string[][] } | null = null;
  let fallback: { name: string; sheet: SheetGrid; header: number; score: number } | null = null;
  for (const name of order) {
    const sheet = sheetGrid(wb.Sheets[name], window);
    if (sheet.grid.every(isBlank)) continue;
    firstNonEmpty ??= { name, grid: sheet.grid };
    const header = locateHeader(sheet.grid, opts.headerHints);
    if (header === null) continue;
    if (opts.headerHints?.length || questionColumnScore(sheet.grid[header]) >= CONFIDENT_QUESTION) {
      return finishSheet(sheet, header, name, opts, base);
    }
    const score = scoreHeaderRow(sheet.grid[header]);
    if (!fallback || score > fallback.score) fallback = { name, sheet, header, score };
  }
  if (fallback) return finishSheet(fallback.sheet, fallback.header, fallback.name, opts, base);
  if (!firstNonEmpty) throw new SpreadsheetError('empty', 'the workbook has no data in any sheet');
  throw noQuestionColumn(firstNonEmpty.grid, opts.headerHints, firstNonEmpty.name);
}

function listNames(names: string[]): string {
  return names.length ? `sheets ${names.map((n) => `"${n}"`).join(', ')}` : 'no sheets';
}

interface SheetGrid {
  /** Index r is sheet row r + 1; column 0 is the leftmost column with content. */
  grid: string[][];
  /** Vertically merged ranges in grid coordinates. */
  merges: XLSX.Range[];
  /** Rows exist below the read window. */
  truncated: boolean;
  /** Set when content lies beyond MAX_COLUMNS columns from the first. */
  tooWide: string | null;
}

function sheetGrid(ws: XLSX.WorkSheet | undefined, window: number): SheetGrid {
  const empty: SheetGrid = { grid: [], merges: [], truncated: false, tooWide: null };
  const data = ws?.['!data'];
  if (!ws || !Array.isArray(data)) return empty;
  const lastRow = Math.min(data.length, window) - 1;
  let minCol = Infinity;
  let maxCol = -1;
  for (let r = 0; r <= lastRow; r++) {
    const row = data[r];
    if (!row) continue;
    // Object.keys skips the holes of a sparse row: a crafted cell in column XFD costs one step.
    for (const key of Object.keys(row)) {
      const c = Number(key);
      if (!hasValue(row[c])) continue;
      if (c < minCol) minCol = c;
      if (c > maxCol) maxCol = c;
    }
  }
  if (maxCol < 0) return empty;
  const lastCol = Math.min(maxCol, minCol + MAX_COLUMNS - 1);
  const tooWide =
    maxCol > lastCol
      ? `the sheet has content in columns ${XLSX.utils.encode_col(minCol)} to ${XLSX.utils.encode_col(maxCol)}; at most ${MAX_COLUMNS} columns are read`
      : null;
  assertGridWithinBounds(lastRow + 1, lastCol - minCol + 1);
  const raw = XLSX.utils.sheet_to_json<unknown[]>(ws, {
    header: 1,
    raw: false,
    defval: '',
    blankrows: true,
    range: { s: { r: 0, c: minCol }, e: { r: lastRow, c: lastCol } },
  });
  const grid = raw.map((row) => (Array.isArray(row) ? row.map(cell) : []));
  const merges = (ws['!merges'] ?? [])
    .filter((m) => m.e.r > m.s.r && m.s.r <= lastRow && m.s.c >= minCol && m.s.c <= lastCol)
    .map((m) => ({ s: { r: m.s.r, c: m.s.c - minCol }, e: { r: Math.min(m.e.r, lastRow), c: m.e.c - minCol } }));
  const ref = ws['!ref'];
  const fullRef = ws['!fullref'] as string | undefined;
  // The sheet's declared range can reach further than its cells; only rows read up to the edge
  // of the window mean there may be more.
  const truncated =
    lastRow === window - 1 && !!ref && !!fullRef && XLSX.utils.decode_range(fullRef).e.r > XLSX.utils.decode_range(ref).e.r;
  return { grid, merges, truncated, tooWide };
}

function hasValue(c: XLSX.CellObject | undefined): boolean {
  if (!c || c.t === 'z' || c.v === undefined || c.v === null) return false;
  return String(c.w ?? c.v).trim() !== '';
}

function finishSheet(
  sheet: SheetGrid,
  header: number,
  name: string,
  opts: ReadOptions,
  base: Pick<ParsedSheet, 'format' | 'sheetNames' | 'delimiter' | 'encoding'>,
): ParsedSheet {
  if (sheet.tooWide) throw new SpreadsheetError('malformed', `sheet "${name}": ${sheet.tooWide}`);
  return buildSheet(sheet.grid, header, opts.maxRows, sheet.merges, sheet.truncated, { ...base, sheetName: name });
}

/**
 * Checks an ODS before SheetJS expands it: "number-rows-repeated" and "number-columns-repeated"
 * let a few bytes stand for billions of cells, and SheetJS materializes every repeated cell
 * that has content (repeated empty cells, which LibreOffice writes to the sheet's edge, cost
 * nothing). The zip bound cannot see this; the attribute product can.
 */
function assertOdsExpansionWithinBounds(xml: string): void {
  const tag = /<(?:[\w-]+:)?(table-row|table-cell|covered-table-cell)\b([^>]*?)(\/?)>/g;
  const repeat = (attrs: string, name: string): number => {
    const m = new RegExp(`${name}\\s*=\\s*["'](\\d+)["']`).exec(attrs);
    return m ? Math.max(1, Number(m[1])) : 1;
  };
  let rowRepeat = 1;
  let cells = 0;
  for (let m = tag.exec(xml); m; m = tag.exec(xml)) {
    const [, kind, attrs, selfClosing] = m;
    if (kind === 'table-row') {
      rowRepeat = repeat(attrs, 'number-rows-repeated');
      continue;
    }
    if (selfClosing && !/value-type\s*=/.test(attrs)) continue;
    if (!selfClosing && !/value-type\s*=/.test(attrs) && /^\s*<\/(?:[\w-]+:)?table-cell>/.test(xml.slice(tag.lastIndex, tag.lastIndex + 64))) continue;
    cells += rowRepeat * repeat(attrs, 'number-columns-repeated');
    if (cells > MAX_ODS_EXPANDED_CELLS) {
      throw new SpreadsheetError(
        'too_large_uncompressed',
        `the spreadsheet expands to more than ${MAX_ODS_EXPANDED_CELLS.toLocaleString('en')} cells through repeated rows or columns`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Header row and data rows (all formats)

function isBlank(row: string[] | undefined): boolean {
  return !row || row.every((c) => c === '');
}

function headerScore(row: string[], hints: string[] | undefined): number {
  return hints?.length ? 100 : scoreHeaderRow(row);
}

/**
 * The header row, by index: with hints, the first of the first HEADER_SCAN_ROWS rows that holds
 * all of them; otherwise the best-scoring row that has a question column (title rows above it
 * score lower). Null when there is none.
 */
function locateHeader(grid: string[][], hints: string[] | undefined): number | null {
  const limit = Math.min(grid.length, HEADER_SCAN_ROWS);
  const wanted = (hints ?? []).map(normalizeHeader).filter(Boolean);
  if (wanted.length) {
    for (let i = 0; i < limit; i++) {
      const have = new Set(grid[i].map(normalizeHeader));
      if (wanted.every((h) => have.has(h))) return i;
    }
    return null;
  }
  let best: number | null = null;
  let bestScore = 0;
  for (let i = 0; i < limit; i++) {
    if (isBlank(grid[i]) || !hasQuestionColumn(grid[i])) continue;
    const score = scoreHeaderRow(grid[i]);
    if (score > bestScore + 1e-9) [best, bestScore] = [i, score];
  }
  return best;
}

function noQuestionColumn(grid: string[][], hints: string[] | undefined, sheetName: string | null): SpreadsheetError {
  const where = sheetName === null ? '' : ` in sheet "${sheetName}"`;
  const limit = Math.min(grid.length, HEADER_SCAN_ROWS);
  // The row most like a header: the best-scoring one, else the first of the widest (a title
  // row has one cell, a header as many as the data below it).
  let shown = -1;
  let shownScore = 0;
  let widest = 0;
  for (let i = 0; i < limit; i++) {
    const s = isBlank(grid[i]) ? 0 : scoreHeaderRow(grid[i]);
    const width = grid[i].filter((c) => c !== '').length;
    if (s > shownScore || (shownScore === 0 && width > widest)) shown = i;
    if (s > shownScore) shownScore = s;
    if (width > widest) widest = width;
  }
  const seen =
    shown < 0
      ? 'no headers'
      : `the headers seen (row ${shown + 1}) are ${grid[shown].filter((c) => c !== '').slice(0, 20).map((c) => `"${truncate(c, 40)}"`).join(', ')}`;
  if (hints?.length) {
    return new SpreadsheetError(
      'no_question_column',
      `none of the first ${HEADER_SCAN_ROWS} rows${where} holds all the mapped headers (${hints.map((h) => `"${h}"`).join(', ')}); ${seen}`,
    );
  }
  return new SpreadsheetError(
    'no_question_column',
    `no column${where} reads as the question; ${seen}. Name the question column "Question" (or "Frage", "Question posée", "Pregunta"...) or send a mapping`,
  );
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function assertGridWithinBounds(rows: number, columns: number): void {
  if (rows * columns <= MAX_GRID_CELLS) return;
  throw new SpreadsheetError(
    'too_large_uncompressed',
    `the sheet spans ${rows.toLocaleString('en')} rows × ${columns} columns, more than the ${MAX_GRID_CELLS.toLocaleString('en')} cells read at most; delete unused columns or split the file`,
  );
}

function tooManyRows(maxRows: number, pastRow?: number): SpreadsheetError {
  if (pastRow !== undefined) {
    return new SpreadsheetError(
      'too_many_rows',
      `the sheet has data past row ${pastRow.toLocaleString('en')}, further than is read for at most ${maxRows.toLocaleString('en')} data rows; remove blank rows or split the file`,
    );
  }
  return new SpreadsheetError(
    'too_many_rows',
    `the sheet has more than ${maxRows.toLocaleString('en')} data rows; split it into files of at most that many`,
  );
}

function buildSheet(
  grid: string[][],
  header: number,
  maxRows: number,
  merges: XLSX.Range[],
  truncated: boolean,
  meta: Pick<ParsedSheet, 'format' | 'sheetName' | 'sheetNames' | 'delimiter' | 'encoding'>,
): ParsedSheet {
  const headers = [...grid[header]];
  while (headers.length && headers[headers.length - 1] === '') headers.pop();
  const blank = grid.map(isBlank);
  // A value merged down over several rows belongs to each of them, as the sheet shows it.
  for (const m of merges) {
    if (m.s.r <= header) continue;
    const value = grid[m.s.r]?.[m.s.c];
    if (!value) continue;
    for (let r = m.s.r + 1; r <= m.e.r && r < grid.length; r++) {
      const row = grid[r];
      if (row && !row[m.s.c]) row[m.s.c] = value;
    }
  }
  let count = 0;
  for (let i = header + 1; i < grid.length; i++) if (!blank[i]) count++;
  if (count > maxRows) throw tooManyRows(maxRows);
  // Padding is what could multiply a small file: a wide header over many one-cell rows.
  assertGridWithinBounds(count, headers.length);
  const rows: ParsedSheet['rows'] = [];
  for (let i = header + 1; i < grid.length; i++) {
    if (blank[i]) continue;
    const cells = [...grid[i]];
    let width = cells.length;
    while (width > headers.length && cells[width - 1] === '') width--;
    cells.length = width;
    while (cells.length < headers.length) cells.push('');
    rows.push({ rowNumber: i + 1, cells });
  }
  // Rows lie below the read window: unless the window ends in blank rows (formatting that
  // stretches the sheet's range), data runs on past what may be read.
  if (truncated && !blank[grid.length - 1]) throw tooManyRows(maxRows, grid.length);
  return { ...meta, headerRowNumber: header + 1, headers, rows };
}
