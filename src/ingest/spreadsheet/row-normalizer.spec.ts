import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ColumnMapping } from './canonical-fields';
import { guessMapping } from './column-mapping';
import { FIELD_LIMITS, normalizeLocale, normalizeRows } from './row-normalizer';
import { readSpreadsheet, type ParsedSheet } from './spreadsheet-reader';

const FIXTURES = join(__dirname, '../../../../shared/fixtures');
const opts = { maxUncompressedBytes: 20 * 1024 * 1024, maxEntries: 1000, maxRows: 1000 };

function sheet(headers: string[], rows: string[][], headerRowNumber = 1): ParsedSheet {
  return {
    format: 'csv',
    sheetName: null,
    sheetNames: [],
    delimiter: ',',
    encoding: 'utf-8',
    headerRowNumber,
    headers,
    rows: rows.map((cells, i) => ({ rowNumber: headerRowNumber + 1 + i, cells })),
  };
}

const ALL = ['Question', 'Topic', 'Topic description', 'Persona', 'Role', 'Domain', 'Locale', 'Tone', 'Notes'];
const allMapping: ColumnMapping = {
  question_text: 'Question',
  topic_title: 'Topic',
  topic_description: 'Topic description',
  persona_name: 'Persona',
  persona_role: 'Role',
  persona_domain: 'Domain',
  persona_locale: 'Locale',
  persona_tone: 'Tone',
};

describe('normalizeRows: the fixtures', () => {
  it('normalizes the messy workbook without errors', async () => {
    const parsed = await readSpreadsheet(readFileSync(join(FIXTURES, 'questions-messy.xlsx')), 'questions-messy.xlsx', opts);
    const { rows, errors } = normalizeRows(parsed, guessMapping(parsed.headers).mapping);
    expect(errors).toEqual([]);
    expect(rows).toHaveLength(40);
    expect(rows[0]).toEqual({
      row: 4,
      question_text: 'What is the best tool for CRM for agencies in 2026?',
      topic_title: 'CRM for agencies',
      topic_description: 'Choosing a CRM for service businesses',
      persona_name: 'Head of Sales',
      persona_role: 'VP Sales',
      persona_domain: null,
      persona_locale: null,
      persona_tone: null,
    });
  });

  it('normalizes the EU CSV, keeping the quoted line break and the locales as tags', async () => {
    const parsed = await readSpreadsheet(readFileSync(join(FIXTURES, 'questions-excel-eu.csv')), 'questions-excel-eu.csv', opts);
    const { rows, errors } = normalizeRows(parsed, guessMapping(parsed.headers).mapping);
    expect(errors).toEqual([]);
    expect(rows).toHaveLength(21);
    expect(new Set(rows.map((r) => r.persona_locale))).toEqual(new Set(['en-US', 'fr-FR', 'en-GB', 'de-DE']));
    expect(rows.at(-1)).toMatchObject({ row: 22, question_text: 'Which BI tool, if any,\nhandles "row-level security" well; and why?' });
  });
});

describe('normalizeRows', () => {
  it('cleans text: invisible characters, runs of blanks, line breaks in names', () => {
    const { rows } = normalizeRows(
      sheet(ALL, [['  Which\u200B CRM \t fits   us? \r\n\r\n\r\n\r\n Really?  ', 'C\u00ADRM', '', 'Agency\nowner', 'Founder', '', 'de_DE', '', 'x']]),
      allMapping,
    );
    expect(rows).toEqual([
      {
        row: 2,
        question_text: 'Which CRM fits us?\n\nReally?',
        topic_title: 'CRM',
        topic_description: null,
        persona_name: 'Agency owner',
        persona_role: 'Founder',
        persona_domain: null,
        persona_locale: 'de-DE',
        persona_tone: null,
      },
    ]);
  });

  it('skips a row whose mapped cells are all empty, even with notes beside it', () => {
    const { rows, errors } = normalizeRows(sheet(ALL, [['', '', '', '', '', '', '', '', 'only a note'], ['Why?', '', '', '', '', '', '', '', '']]), allMapping);
    expect(errors).toEqual([]);
    expect(rows.map((r) => r.row)).toEqual([3]);
  });

  it('reports a row with data but no question', () => {
    const { rows, errors } = normalizeRows(sheet(ALL, [['', 'CRM', '', 'Founder', '', '', '', '', '']], 11), allMapping);
    expect(rows).toEqual([]);
    expect(errors).toEqual([{ row: 12, message: 'row 12: question is empty' }]);
  });

  it('enforces the catalogue limits', () => {
    const long = (n: number) => 'x'.repeat(n);
    const rows = [
      [long(5000), long(300), long(5000), long(200), long(200), long(200), 'en', long(100), ''],
      [long(5001), long(301), '', long(201), long(201), long(201), '', long(101), ''],
      [long(30_000), 'T', '', '', '', '', '', '', ''],
    ];
    const result = normalizeRows(sheet(ALL, rows), allMapping);
    expect(result.rows.map((r) => r.row)).toEqual([2]);
    expect(result.errors).toEqual([
      {
        row: 3,
        message:
          'row 3: question is longer than 5000 characters (5001); topic title is longer than 300 characters (301); persona name is longer than 200 characters (201); persona role is longer than 200 characters (201); persona domain is longer than 200 characters (201); persona tone is longer than 100 characters (101)',
      },
      { row: 4, message: 'row 4: question is longer than 5000 characters (30000)' },
    ]);
    expect(FIELD_LIMITS.persona_locale).toBe(35);
  });

  it('wants a persona name (or a role, which names the persona) for persona attributes and a topic title for a description', () => {
    const { rows, errors } = normalizeRows(
      sheet(ALL, [
        ['Why?', '', 'About CRMs', '', 'CEO', '', 'de', '', ''],
        ['How?', 'CRM', '', '', '', 'SaaS', '', '', ''],
        ['When?', '', '', 'Founder', '', '', '', 'dry', ''],
        ['Who?', '', '', '', 'CFO', '', 'de', '', ''],
      ]),
      allMapping,
    );
    expect(errors).toEqual([
      { row: 2, message: 'row 2: topic description given without a topic title' },
      { row: 3, message: 'row 3: domain given without a persona name' },
    ]);
    expect(rows).toEqual([
      expect.objectContaining({ row: 4, persona_name: 'Founder', persona_tone: 'dry', topic_title: null }),
      expect.objectContaining({ row: 5, persona_name: 'CFO', persona_role: 'CFO', persona_locale: 'de' }),
    ]);
  });

  it('reports a locale it cannot read, naming it, in the same message as other problems', () => {
    const { errors } = normalizeRows(sheet(ALL, [['', 'CRM', '', 'Founder', '', '', 'Klingon', '', '']]), allMapping);
    expect(errors).toEqual([
      { row: 2, message: 'row 2: question is empty; persona locale "Klingon" is not a language tag or language name (write e.g. en-US, de or German)' },
    ]);
  });

  it('leaves duplicate questions to the importer', () => {
    const { rows, errors } = normalizeRows(sheet(['Question'], [['Why?'], ['Why?'], ['why?']]), { question_text: 'Question' });
    expect(errors).toEqual([]);
    expect(rows).toHaveLength(3);
  });

  it('finds mapped columns loosely and reports those it cannot find', () => {
    expect(normalizeRows(sheet(['Frage'], [['Warum?']]), { question_text: 'frage' }).rows).toHaveLength(1);
    expect(normalizeRows(sheet(['Frage', 'Thema'], [['Warum?', 'X']], 3), { question_text: 'Frage', topic_title: 'Topic' })).toEqual({
      rows: [expect.objectContaining({ row: 4, question_text: 'Warum?', topic_title: null })],
      errors: [{ row: 3, message: 'row 3: the column "Topic" mapped to topic_title is not in the header' }],
    });
    expect(normalizeRows(sheet(['Thema'], [['X']]), { topic_title: 'Thema' })).toEqual({
      rows: [],
      errors: [{ row: 1, message: 'row 1: no column is mapped to question_text' }],
    });
  });
});

describe('normalizeLocale', () => {
  it.each([
    ['de_DE', 'de-DE'],
    ['DE-de', 'de-DE'],
    ['de', 'de'],
    ['EN', 'en'],
    ['en-us', 'en-US'],
    ['fr_CA', 'fr-CA'],
    ['de_DE.UTF-8', 'de-DE'],
    ['en-UK', 'en-GB'],
    ['es-419', 'es-419'],
    ['zh-hans-cn', 'zh-Hans-CN'],
    ['deu', 'de'],
    ['English', 'en'],
    ['german', 'de'],
    ['Deutsch', 'de'],
    ['Französisch', 'fr'],
    ['français', 'fr'],
    ['Spanish', 'es'],
    ['Español', 'es'],
    ['Spanisch', 'es'],
    ['Italiano', 'it'],
    ['Portugiesisch', 'pt'],
    ['Nederlands', 'nl'],
    ['Niederländisch', 'nl'],
    ['日本語', 'ja'],
    ['British English', 'en-GB'],
    ['Brazilian Portuguese', 'pt-BR'],
    ['Englisch (US)', 'en-US'],
    ['English (United Kingdom)', 'en-GB'],
    ['English [UK]', 'en-GB'],
    ['Deutsch (Schweiz)', 'de-CH'],
    ['Deutsch - Österreich', 'de-AT'],
    ['Flemish', 'nl-BE'],
  ])('%j → %j', (input, expected) => {
    expect(normalizeLocale(input)).toBe(expected);
  });

  it.each(['', 'Klingon', 'xx', 'en-ZZ', 'en-XY', 'US', 'UK', 'English, German', 'en-US-u-ca-buddhist', 'Germany', '42'])('refuses %j', (input) => {
    expect(normalizeLocale(input)).toBeNull();
  });
});
