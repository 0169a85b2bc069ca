import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as XLSX from 'xlsx';
import { readSpreadsheet, SpreadsheetError, type ParsedSheet, type ReadOptions, type SpreadsheetErrorCode } from './spreadsheet-reader';
import { buildZip, zipBomb } from './testing/zip-builder';
import { cpuNow } from './testing/cpu-clock';

const FIXTURES = join(__dirname, '../../../../shared/fixtures');
const fixture = (name: string): Buffer => readFileSync(join(FIXTURES, name));

const MiB = 1024 * 1024;
const opts: ReadOptions = { maxUncompressedBytes: 20 * MiB, maxEntries: 1000, maxRows: 500 };

type BookType = 'xlsx' | 'ods' | 'xls' | 'biff8';

function workbook(sheets: Record<string, unknown[][]>, bookType: BookType = 'xlsx', origin?: string): Buffer {
  const book = XLSX.utils.book_new();
  for (const [name, rows] of Object.entries(sheets)) {
    const ws = origin ? XLSX.utils.sheet_add_aoa(XLSX.utils.aoa_to_sheet([]), rows, { origin }) : XLSX.utils.aoa_to_sheet(rows);
    // sheet_add_aoa leaves the used range at A1; a sheet that starts lower says so in its range.
    if (origin) ws['!ref'] = XLSX.utils.encode_range({ s: XLSX.utils.decode_cell(origin), e: XLSX.utils.decode_range(ws['!ref'] ?? origin).e });
    XLSX.utils.book_append_sheet(book, ws, name);
  }
  return XLSX.write(book, { type: 'buffer', bookType }) as Buffer;
}

async function failure(buf: Buffer, name: string, o: Partial<ReadOptions> = {}): Promise<SpreadsheetError> {
  const err = await readSpreadsheet(buf, name, { ...opts, ...o }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SpreadsheetError);
  return err as SpreadsheetError;
}

async function expectFailure(buf: Buffer, name: string, code: SpreadsheetErrorCode, message?: RegExp, o: Partial<ReadOptions> = {}) {
  const err = await failure(buf, name, o);
  expect({ code: err.code, message: err.message }).toEqual({ code, message: message ? expect.stringMatching(message) : expect.any(String) });
  return err;
}

const rowNumbers = (s: ParsedSheet): number[] => s.rows.map((r) => r.rowNumber);
const column = (s: ParsedSheet, header: string): string[] => s.rows.map((r) => r.cells[s.headers.indexOf(header)]);

describe('readSpreadsheet: the fixtures', () => {
  it('reads the messy workbook below its title and blank rows, keeping sheet row numbers', async () => {
    const sheet = await readSpreadsheet(fixture('questions-messy.xlsx'), 'questions-messy.xlsx', opts);
    expect(sheet).toMatchObject({
      format: 'xlsx',
      sheetName: 'Questions Q4',
      sheetNames: ['Questions Q4'],
      delimiter: null,
      encoding: null,
      headerRowNumber: 3,
      headers: ['Topic title', 'Topic description', 'Persona Name', 'Role', 'Question', 'Notes'],
    });
    // Rows 17, 31 and 45 are blank in the sheet.
    expect(sheet.rows).toHaveLength(40);
    expect(rowNumbers(sheet).slice(0, 2)).toEqual([4, 5]);
    for (const blank of [17, 31, 45]) expect(rowNumbers(sheet)).not.toContain(blank);
    expect(rowNumbers(sheet)).toContain(16);
    expect(rowNumbers(sheet)).toContain(18);
    expect(rowNumbers(sheet).at(-1)).toBe(46);
    expect(sheet.rows[0].cells).toEqual([
      'CRM for agencies',
      'Choosing a CRM for service businesses',
      'Head of Sales',
      'VP Sales',
      'What is the best tool for CRM for agencies in 2026?',
      'check wording',
    ]);
    expect(sheet.rows.every((r) => r.cells.length === 6)).toBe(true);
  });

  it('reads the European Excel CSV: BOM, semicolons, CRLF, a quoted line break with quotes', async () => {
    const sheet = await readSpreadsheet(fixture('questions-excel-eu.csv'), 'questions-excel-eu.csv', opts);
    expect(sheet).toMatchObject({ format: 'csv', sheetName: null, sheetNames: [], delimiter: ';', encoding: 'utf-8', headerRowNumber: 1 });
    expect(sheet.headers).toEqual(['Thema', 'Persona', 'Sprache', 'Frage']);
    expect(sheet.rows).toHaveLength(21);
    expect(rowNumbers(sheet)).toEqual(Array.from({ length: 21 }, (_, i) => i + 2));
    const last = sheet.rows.at(-1)!;
    expect(last.cells[3]).toBe('Which BI tool, if any,\nhandles "row-level security" well; and why?');
    expect(sheet.rows.every((r) => !r.cells.some((c) => c.includes('\r')))).toBe(true);
  });
});

describe('readSpreadsheet: workbooks', () => {
  const sheets = {
    Cover: [['Question set for Q3'], ['owner: marketing']],
    Fragen: [
      ['Fragenkatalog'],
      [],
      ['Thema', 'Zielgruppe', 'Rolle', 'Frage'],
      ['CRM', 'Gründer', 'CEO', 'Welches CRM passt zu uns?'],
      ['', '', '', ''],
      ['CRM', 'Gründer', 'CEO', ''],
      ['Preise', 'Analyst', '', 'Was kostet ein CRM?'],
    ],
    Other: [['Question'], ['Only here?']],
  };

  it.each(['xlsx', 'ods', 'xls', 'biff8'] as const)('picks the sheet with a question header in %s, not the cover titled "Question set"', async (bookType) => {
    const ext = bookType === 'biff8' ? 'xls' : bookType;
    const sheet = await readSpreadsheet(workbook(sheets, bookType), `q.${ext}`, opts);
    expect(sheet).toMatchObject({ format: ext, sheetName: 'Fragen', sheetNames: ['Cover', 'Fragen', 'Other'], headerRowNumber: 3 });
    expect(sheet.headers).toEqual(['Thema', 'Zielgruppe', 'Rolle', 'Frage']);
    expect(rowNumbers(sheet)).toEqual([4, 6, 7]);
    expect(sheet.rows[2].cells).toEqual(['Preise', 'Analyst', '', 'Was kostet ein CRM?']);
  });

  it('reads the sheet asked for, by exact name or loosely, and names the sheets when it is missing', async () => {
    const buf = workbook(sheets);
    const other = await readSpreadsheet(buf, 'q.xlsx', { ...opts, sheet: 'Other' });
    expect(other).toMatchObject({ sheetName: 'Other', headerRowNumber: 1, rows: [{ rowNumber: 2, cells: ['Only here?'] }] });
    expect((await readSpreadsheet(buf, 'q.xlsx', { ...opts, sheet: ' other ' })).sheetName).toBe('Other');
    const err = await expectFailure(buf, 'q.xlsx', 'sheet_not_found', /"Nope" not found/, { sheet: 'Nope' });
    expect(err.message).toContain('"Cover", "Fragen", "Other"');
  });

  it('keeps real row and column positions when the used range starts below A1', async () => {
    for (const bookType of ['xlsx', 'ods'] as const) {
      const buf = workbook({ S: [['Topic', 'Question'], ['SEO', 'Is SEO dead?'], [], ['Ads', 'Do ads work?']] }, bookType, 'C5');
      const read = XLSX.read(buf, { type: 'buffer' });
      expect(read.Sheets.S['!ref']).toBe('C5:D8');
      const sheet = await readSpreadsheet(buf, `q.${bookType}`, opts);
      expect(sheet.headerRowNumber).toBe(5);
      expect(sheet.headers).toEqual(['Topic', 'Question']);
      expect(sheet.rows).toEqual([
        { rowNumber: 6, cells: ['SEO', 'Is SEO dead?'] },
        { rowNumber: 8, cells: ['Ads', 'Do ads work?'] },
      ]);
    }
  });

  it('prefers the real header to a title row that mentions questions', async () => {
    const buf = workbook({ S: [['Q3 question set'], [], ['Question'], ['Why?']] });
    const sheet = await readSpreadsheet(buf, 'q.xlsx', opts);
    expect(sheet.headerRowNumber).toBe(3);
    expect(sheet.rows).toEqual([{ rowNumber: 4, cells: ['Why?'] }]);
  });

  it('gives numbers, dates and booleans as the sheet displays them, trimmed', async () => {
    const ws = XLSX.utils.aoa_to_sheet([
      ['Question', 'Due', 'Share', 'Done'],
      ['  padded  ', new Date(Date.UTC(2024, 0, 15)), 0.25, true],
    ]);
    ws.C2.z = '0%';
    const book = XLSX.utils.book_new();
    XLSX.utils.book_append_sheet(book, ws, 'S');
    const sheet = await readSpreadsheet(XLSX.write(book, { type: 'buffer', bookType: 'xlsx' }) as Buffer, 'q.xlsx', opts);
    expect(sheet.rows[0].cells).toEqual(['padded', '1/15/24', '25%', 'TRUE']);
  });

  it('repeats a value merged down over data rows into each of them', async () => {
    const ws = XLSX.utils.aoa_to_sheet([
      ['Topic', 'Question'],
      ['CRM', 'Which CRM?'],
      ['', 'Is it cheap?'],
      ['', 'Does it sync?'],
    ]);
    ws['!merges'] = [{ s: { r: 1, c: 0 }, e: { r: 3, c: 0 } }];
    const book = XLSX.utils.book_new();
    XLSX.utils.book_append_sheet(book, ws, 'S');
    const sheet = await readSpreadsheet(XLSX.write(book, { type: 'buffer', bookType: 'xlsx' }) as Buffer, 'q.xlsx', opts);
    expect(column(sheet, 'Topic')).toEqual(['CRM', 'CRM', 'CRM']);
  });

  it('finds the header by the mapped header texts when a mapping is given', async () => {
    const buf = workbook({ S: [['Export 2024'], ['Col A', 'Col B'], ['SEO', 'Is SEO dead?']] });
    await expectFailure(buf, 'q.xlsx', 'no_question_column', /"Col A", "Col B"/);
    const sheet = await readSpreadsheet(buf, 'q.xlsx', { ...opts, headerHints: ['col b', 'COL  A'] });
    expect(sheet).toMatchObject({ headerRowNumber: 2, rows: [{ rowNumber: 3, cells: ['SEO', 'Is SEO dead?'] }] });
    await expectFailure(buf, 'q.xlsx', 'no_question_column', /mapped headers \("Col Z"\)/, { headerHints: ['Col Z'] });
  });

  it('says which headers it saw when no column reads as the question', async () => {
    const buf = workbook({ Contacts: [['Name', 'Email'], ['Ann', 'ann@example.com']] });
    const err = await expectFailure(buf, 'c.xlsx', 'no_question_column', /sheet "Contacts"/);
    expect(err.message).toContain('"Name", "Email"');
  });

  it('answers empty for a workbook without data', async () => {
    await expectFailure(workbook({ A: [], B: [[''], []] }), 'e.xlsx', 'empty', /no data/);
    await expectFailure(workbook({ A: [], B: [['Question']] }), 'e.xlsx', 'empty', /"A" has no data/, { sheet: 'A' });
  });

  it('refuses more data rows than allowed, blank rows not counted', async () => {
    const rows = [['Question'], ...Array.from({ length: 30 }, (_, i) => [`q${i}?`]), [], []];
    expect((await readSpreadsheet(workbook({ S: rows }), 'q.xlsx', { ...opts, maxRows: 30 })).rows).toHaveLength(30);
    await expectFailure(workbook({ S: rows }), 'q.xlsx', 'too_many_rows', /more than 29 data rows/, { maxRows: 29 });
  });

  it('refuses rows beyond what it reads, unless the sheet only stretches on in blank formatting', async () => {
    // Few data rows, but spread past the window of 30 + 10 + 1000 + 1 rows.
    const spread: string[][] = [['Question'], ['a?'], ['b?'], ...Array.from({ length: 1037 }, () => []), ['c?'], ['d?']];
    await expectFailure(workbook({ S: spread }), 'q.xlsx', 'too_many_rows', /data past row 1,041/, { maxRows: 10 });
    expect((await readSpreadsheet(workbook({ S: spread }), 'q.xlsx', { ...opts, maxRows: 100 })).rows).toHaveLength(4);
    // A range declared far beyond the cells (formatting) is not more rows.
    const ws = XLSX.utils.aoa_to_sheet([['Question'], ['Why?']]);
    ws['!ref'] = 'A1:A100000';
    const book = XLSX.utils.book_new();
    XLSX.utils.book_append_sheet(book, ws, 'S');
    const stretched = XLSX.write(book, { type: 'buffer', bookType: 'xlsx' }) as Buffer;
    expect((await readSpreadsheet(stretched, 'q.xlsx', { ...opts, maxRows: 10 })).rows).toHaveLength(1);
  });

  it('refuses content beyond 200 columns, but only on the sheet it reads', async () => {
    const wide = [['Question', ...Array.from({ length: 249 }, () => '')], ['Why?']];
    wide[0][249] = 'far right';
    const err = await expectFailure(workbook({ S: wide }), 'q.xlsx', 'malformed', /columns A to IP; at most 200/);
    expect(err.message).toContain('sheet "S"');
    const sheet = await readSpreadsheet(workbook({ Q: [['Question'], ['Why?']], Wide: wide }), 'q.xlsx', opts);
    expect(sheet.sheetName).toBe('Q');
  });

  it('reads a sparse sheet with a cell in the last column quickly', async () => {
    const ws = XLSX.utils.aoa_to_sheet([['Question'], ['Why?']]);
    ws.XFD1 = { t: 's', v: 'edge' };
    ws['!ref'] = 'A1:XFD2';
    const book = XLSX.utils.book_new();
    XLSX.utils.book_append_sheet(book, ws, 'S');
    const started = cpuNow();
    await expectFailure(XLSX.write(book, { type: 'buffer', bookType: 'xlsx' }) as Buffer, 'q.xlsx', 'malformed', /at most 200 columns/);
    expect(cpuNow() - started).toBeLessThan(6000);
  });
});

describe('readSpreadsheet: CSV', () => {
  const read = (text: string | Buffer, name = 'q.csv', o: Partial<ReadOptions> = {}) =>
    readSpreadsheet(typeof text === 'string' ? Buffer.from(text, 'utf8') : text, name, { ...opts, ...o });

  it('reads tab-separated text', async () => {
    const sheet = await read('Topic\tQuestion\tNotes\nSEO\tIs SEO dead, really?\t\n\tWhat is GEO?\tnew\n', 'q.tsv');
    expect(sheet).toMatchObject({ delimiter: '\t', headers: ['Topic', 'Question', 'Notes'] });
    expect(sheet.rows).toEqual([
      { rowNumber: 2, cells: ['SEO', 'Is SEO dead, really?', ''] },
      { rowNumber: 3, cells: ['', 'What is GEO?', 'new'] },
    ]);
  });

  it('picks the separator under which the header reads, even when data lines hold other separators', async () => {
    const pipes = await read('Topic|Question\nSEO|Is it dead, or; not?\nAds|Do ads work, at all?\n');
    expect(pipes.delimiter).toBe('|');
    expect(column(pipes, 'Question')).toEqual(['Is it dead, or; not?', 'Do ads work, at all?']);
    const commas = await read('Topic,Question\nSEO,"Is it dead; or not?"\n');
    expect(commas.delimiter).toBe(',');
  });

  it('keeps a one-column file whole, commas and all', async () => {
    const sheet = await read('Question\nWhich CRM, if any, fits us?\nWhy?\n');
    expect(sheet.headers).toEqual(['Question']);
    expect(sheet.rows.map((r) => r.cells)).toEqual([['Which CRM, if any, fits us?'], ['Why?']]);
  });

  it('honours an Excel "sep=" line and does not count it as a row', async () => {
    const sheet = await read('sep=;\r\nTopic;Question\r\nSEO;Is SEO dead?\r\n');
    expect(sheet).toMatchObject({ delimiter: ';', headerRowNumber: 1, rows: [{ rowNumber: 2, cells: ['SEO', 'Is SEO dead?'] }] });
  });

  it('reads Windows-1252 text, as Excel on Windows saves "CSV"', async () => {
    const bytes = Buffer.from('Thema;Frage\r\nGrößen;Wie groß ist der Markt für Bürosoftware?\r\n', 'latin1');
    const sheet = await read(bytes);
    expect(sheet.encoding).toBe('windows-1252');
    expect(sheet.rows[0].cells).toEqual(['Größen', 'Wie groß ist der Markt für Bürosoftware?']);
    const euro = await read(Buffer.concat([Buffer.from('Question\n'), Buffer.from([0x80, 0x20, 0x31, 0x30, 0x3f, 0x0a])]));
    expect(euro.rows[0].cells).toEqual(['€ 10?']);
  });

  it('reads UTF-16 with a BOM, little- and big-endian', async () => {
    const text = 'Thema\tFrage\r\nPreise\tWas kostet Größe?\r\n';
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le);
    be.swap16();
    const bare = Buffer.from(text, 'utf16le');
    for (const [buf, encoding] of [[le, 'utf-16le'], [be, 'utf-16be'], [bare, 'utf-16le']] as const) {
      const sheet = await read(buf, 'q.txt');
      expect(sheet).toMatchObject({ encoding, delimiter: '\t', headers: ['Thema', 'Frage'] });
      expect(sheet.rows[0].cells).toEqual(['Preise', 'Was kostet Größe?']);
    }
  });

  it('numbers rows as records: a quoted line break stays in its row, blank lines count', async () => {
    const sheet = await read('Question,Topic\r\n"Two\r\nlines?",A\r\n\r\nNext?,B\r\n');
    expect(sheet.rows).toEqual([
      { rowNumber: 2, cells: ['Two\r\nlines?', 'A'] },
      { rowNumber: 4, cells: ['Next?', 'B'] },
    ]);
  });

  it('finds the header below title lines', async () => {
    const sheet = await read('Acme question bank;;\r\n;;\r\nTopic;Persona;Question\r\nSEO;CMO;Is SEO dead?\r\n');
    expect(sheet).toMatchObject({ headerRowNumber: 3, headers: ['Topic', 'Persona', 'Question'], rows: [{ rowNumber: 4 }] });
  });

  it('refuses broken quoting with the line it is on', async () => {
    const unclosed = await expectFailure(
      Buffer.from('Question,Topic\nFine?,A\n"Unclosed quote,CRM\nWhat next?,CRM\nAnd?,B\n'),
      'b.csv',
      'malformed',
      /^line 3: quote not closed/,
    );
    expect(unclosed.row).toBe(3);
    await expectFailure(Buffer.from('Question,Topic\nFine?,A\nOk?,B\n"Half" quoted,C\n'), 'b.csv', 'malformed', /^line 4: a closing quote is followed by text instead of a separator/);
    await expectFailure(Buffer.from('Question,Topic\n"Multi\nline",A\nA 27" monitor?,B\n'), 'b.csv', 'malformed', /^line 4: a quote appears inside an unquoted field/);
  });

  it('answers empty for no bytes, a BOM and blanks, or only separators', async () => {
    await expectFailure(Buffer.alloc(0), 'e.csv', 'empty', /empty/);
    await expectFailure(Buffer.from('\uFEFF  \r\n'), 'e.csv', 'empty');
    await expectFailure(Buffer.from(';;;\r\n;;;\r\n'), 'e.csv', 'empty');
    await expectFailure(Buffer.from('"";""\r\n'), 'e.csv', 'empty');
  });

  it('says which headers it saw when none is the question', async () => {
    const err = await expectFailure(Buffer.from('Name,Email\nAnn,ann@example.com\n'), 'c.csv', 'no_question_column', /"Name", "Email"/);
    expect(err.message).toMatch(/row 1/);
  });

  it('refuses more data rows than allowed before parsing them all', async () => {
    const text = `Question\n${Array.from({ length: 100 }, (_, i) => `q${i}?`).join('\n')}\n`;
    expect((await read(text, 'q.csv', { maxRows: 100 })).rows).toHaveLength(100);
    await expectFailure(Buffer.from(text), 'q.csv', 'too_many_rows', /more than 99 data rows/, { maxRows: 99 });
    const huge = Buffer.from(`Question\n${'q?\n'.repeat(300_000)}`);
    const started = cpuNow();
    await expectFailure(huge, 'q.csv', 'too_many_rows', undefined, { maxRows: 1000 });
    expect(cpuNow() - started).toBeLessThan(6000);
  });

  it('reads past trailing blank lines without parsing them, and refuses data far below them', async () => {
    let started = cpuNow();
    const trailing = await read(`Question\nWhy?\n${'\n'.repeat(3_000_000)}`, 'q.csv', { maxRows: 100 });
    expect(trailing.rows).toEqual([{ rowNumber: 2, cells: ['Why?'] }]);
    expect(cpuNow() - started).toBeLessThan(6000);
    started = cpuNow();
    await expectFailure(Buffer.from(`Question\nWhy?\n${'\n'.repeat(3_000_000)}How?\n`), 'q.csv', 'too_many_rows', /data past row 1,131/, { maxRows: 100 });
    expect(cpuNow() - started).toBeLessThan(6000);
  });

  it('refuses a 5 MB line quickly', async () => {
    const started = cpuNow();
    await expectFailure(Buffer.alloc(5 * MiB, 0x41), 'huge.csv', 'too_large_uncompressed', /line 1: the row is longer than 1,000,000 characters/);
    expect(cpuNow() - started).toBeLessThan(9000);
  });

  it('drops separators padding a row past 200 columns and refuses content out there, quickly', async () => {
    const padded = await read(`Question${';'.repeat(1_000_000)}\r\nWhy?${';'.repeat(5000)}\r\n`);
    expect(padded.headers).toEqual(['Question']);
    expect(padded.rows).toEqual([{ rowNumber: 2, cells: ['Why?'] }]);
    const started = cpuNow();
    await expectFailure(Buffer.from(`Question;Topic\r\nWhy?${';'.repeat(2_000_000)}x\r\n`), 'w.csv', 'malformed', /^line 2: the row uses 2,000,001 columns; at most 200/);
    expect(cpuNow() - started).toBeLessThan(9000);
  });

  it('refuses a wide header over many short rows rather than padding them all', async () => {
    const header = ['Question', ...Array.from({ length: 199 }, (_, i) => `c${i}`)].join(',');
    const started = cpuNow();
    await expectFailure(Buffer.from(`${header}\n${'x?\n'.repeat(60_000)}`), 'w.csv', 'too_large_uncompressed', /60,000 rows × 200 columns/, { maxRows: 100_000 });
    // Parsing 60,000 rows costs about 3 s of CPU here (GC threads included); padding them to 12 million cells costs far more.
    expect(cpuNow() - started).toBeLessThan(10000);
  });

  it('cuts a cell longer than Excel allows to Excel’s limit', async () => {
    const sheet = await read(`Question\n${'x'.repeat(40_000)}\n`);
    expect(sheet.rows[0].cells[0]).toHaveLength(32_767);
  });
});

describe('readSpreadsheet: what the file is', () => {
  const xlsx = () => workbook({ S: [['Question'], ['Why?']] });
  const xls = () => workbook({ S: [['Question'], ['Why?']] }, 'biff8');

  it('answers unsupported_type for other extensions', async () => {
    await expectFailure(Buffer.from('%PDF-1.4'), 'doc.pdf', 'unsupported_type', /"\.pdf" files are not supported; upload \.xlsx, \.xls, \.ods or \.csv/);
    await expectFailure(xlsx(), 'report.docx', 'unsupported_type');
    await expectFailure(Buffer.from('Question\nWhy?\n'), 'questions', 'unsupported_type', /without an extension/);
  });

  it('accepts extensions in any case', async () => {
    expect((await readSpreadsheet(xlsx(), 'Q.XLSX', opts)).format).toBe('xlsx');
    expect((await readSpreadsheet(xlsx(), 'macro.xlsm', opts)).format).toBe('xlsx');
  });

  it('answers content_mismatch naming both sides, each way', async () => {
    await expectFailure(Buffer.from('Question\nWhat?\n'), 'text.xlsx', 'content_mismatch', /named \.xlsx but its content is CSV text/);
    await expectFailure(xlsx(), 'zip.csv', 'content_mismatch', /named \.csv but its content is a zip-based workbook/);
    await expectFailure(xls(), 'old.xlsx', 'content_mismatch', /named \.xlsx but its content is an Excel 97-2003 workbook/);
    await expectFailure(xlsx(), 'new.xls', 'content_mismatch', /named \.xls but its content is a zip-based workbook.*rename it to \.xlsx/);
    await expectFailure(Buffer.from('%PDF-1.4\n...'), 'doc.csv', 'content_mismatch', /named \.csv but its content is a PDF document/);
    await expectFailure(Buffer.from('<!DOCTYPE html><html><body><table></table></body></html>'), 'export.xls', 'content_mismatch', /an HTML page/);
    await expectFailure(randomBytes(4096), 'noise.csv', 'content_mismatch', /binary data/);
  });

  it('reads an .ods named .xlsx as the ODS it is (both are zip workbooks)', async () => {
    const sheet = await readSpreadsheet(workbook({ S: [['Question'], ['Why?']] }, 'ods'), 'q.xlsx', opts);
    expect(sheet.format).toBe('ods');
  });

  it('refuses a zip bomb before SheetJS sees it', async () => {
    const read = jest.spyOn(jest.requireActual<typeof XLSX>('xlsx'), 'read');
    try {
      const started = cpuNow();
      await expectFailure(zipBomb(64 * MiB), 'bomb.xlsx', 'too_large_uncompressed', /zip bomb/, { maxUncompressedBytes: 8 * MiB });
      expect(cpuNow() - started).toBeLessThan(3000);
      await expectFailure(zipBomb(64 * MiB, 4096), 'bomb.xlsx', 'malformed', /declares/, { maxUncompressedBytes: 8 * MiB });
      expect(read).not.toHaveBeenCalled();
      await readSpreadsheet(xlsx(), 'ok.xlsx', opts);
      expect(read).toHaveBeenCalledTimes(1);
    } finally {
      read.mockRestore();
    }
  });

  it('answers malformed for damaged files of every container', async () => {
    await expectFailure(Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(2000, 7)]), 'garbage.xlsx', 'malformed');
    await expectFailure(Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), randomBytes(8192)]), 'random.xlsx', 'malformed');
    const whole = xlsx();
    await expectFailure(whole.subarray(0, whole.length - 200), 'cut.xlsx', 'malformed');
    const cfb = Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), randomBytes(8192)]);
    await expectFailure(cfb, 'random.xls', 'malformed', /damaged/);
    const old = xls();
    await expectFailure(old.subarray(0, 2000), 'cut.xls', 'malformed');
    await expectFailure(buildZip([{ name: 'word/document.xml', data: Buffer.from('<w/>') }]), 'doc.xlsx', 'malformed', /not a workbook/);
  });

  it('refuses an ODS whose repeated cells would expand past the bound, before SheetJS expands them', async () => {
    const cell = '<table:table-cell office:value-type="string" table:number-columns-repeated="16384"><text:p>x</text:p></table:table-cell>';
    const content = `<?xml version="1.0"?><office:document-content><office:body><office:spreadsheet><table:table table:name="S"><table:table-row table:number-rows-repeated="1048576">${cell}</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>`;
    const ods = buildZip([
      { name: 'mimetype', data: Buffer.from('application/vnd.oasis.opendocument.spreadsheet'), method: 0 },
      { name: 'content.xml', data: Buffer.from(content) },
    ]);
    const started = cpuNow();
    await expectFailure(ods, 'bomb.ods', 'too_large_uncompressed', /repeated rows or columns/);
    expect(cpuNow() - started).toBeLessThan(3000);
  });
});
