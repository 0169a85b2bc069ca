import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as XLSX from 'xlsx';
import { expectProblem } from '../helpers/problem';
import { adminQuery } from '../helpers/schema';
import { createTestApp, DbMode, TestApp } from '../helpers/test-app';
import { zipBomb } from '../helpers/zip-bomb';
import { FIXTURES } from './import.suite';

function workbook(sheets: Record<string, unknown[][]>, bookType: XLSX.BookType = 'xlsx'): Buffer {
  const book = XLSX.utils.book_new();
  for (const [name, rows] of Object.entries(sheets)) XLSX.utils.book_append_sheet(book, XLSX.utils.aoa_to_sheet(rows), name);
  return XLSX.write(book, { type: 'buffer', bookType }) as Buffer;
}

/** POST /questions:ingest and /mapping-profiles through the real HTTP stack, in one database mode. */
export function spreadsheetSuite(file: string, mode: DbMode): void {
  describe(`spreadsheet ingest (${mode} schema)`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(file, { mode, env: { UPLOAD_MAX_BYTES: String(2 * 1024 * 1024), UPLOAD_MAX_UNCOMPRESSED_BYTES: String(20 * 1024 * 1024) } });
    });
    afterAll(async () => {
      await t?.close();
    });

    const newCampaign = async (): Promise<string> =>
      (await t.http.post('/api/v1/campaigns').set(t.auth).send({ name: `Sheet ${randomUUID()}` }).expect(201)).body.id as string;
    const upload = (campaignId: string, content: Buffer, name: string, fields: Record<string, string> = {}) => {
      let req = t.http.post('/api/v1/questions:ingest').set(t.auth).field('campaign_id', campaignId);
      for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
      return req.attach('file', content, name);
    };
    const questions = async (campaignId: string) =>
      (await t.http.get(`/api/v1/campaigns/${campaignId}/questions?limit=500`).set(t.auth).expect(200)).body as { total: number; items: { text: string; topic_id: string | null; persona_id: string | null; metadata: Record<string, unknown> }[] };
    const fileRecords = async (): Promise<number> => {
      const [{ n }] =
        mode === 'full'
          ? await adminQuery<{ n: string }>(`SELECT count(*) AS n FROM "${t.schema}"."files"`)
          : await adminQuery<{ n: string }>(`SELECT count(*) AS n FROM "${t.schema}"."events" WHERE entity_type = 'file'`);
      return Number(n);
    };
    const messy = (): Buffer => readFileSync(join(FIXTURES, 'questions-messy.xlsx'));
    const euCsv = (): Buffer => readFileSync(join(FIXTURES, 'questions-excel-eu.csv'));

    it('previews the messy fixture: guessed mapping, unmapped headers, rows, preview, nothing written', async () => {
      const campaignId = await newCampaign();
      const files = await fileRecords();
      const res = await upload(campaignId, messy(), 'questions-messy.xlsx', { dry_run: 'true' }).expect(200);
      expect(res.body.mapping).toEqual({
        question_text: 'Question',
        topic_title: 'Topic title',
        topic_description: 'Topic description',
        persona_name: 'Persona Name',
        persona_role: 'Role',
      });
      expect(res.body.unmapped_headers).toEqual(['Notes']);
      expect(res.body.rows).toBeGreaterThan(3);
      expect(res.body.header_row).toBeGreaterThan(1);
      expect(res.body.preview[0]).toMatchObject({ row: res.body.header_row + 1, question_text: expect.any(String), topic_title: expect.any(String) });
      expect(res.body.mapping_source).toBe('guessed');
      expect((await questions(campaignId)).total).toBe(0);
      expect(await fileRecords()).toBe(files);
    });

    it('imports the messy fixture, records the file, and imports nothing the second time', async () => {
      const campaignId = await newCampaign();
      const preview = (await upload(campaignId, messy(), 'questions-messy.xlsx', { dry_run: 'true' }).expect(200)).body;
      const files = await fileRecords();
      const first = await upload(campaignId, messy(), 'questions-messy.xlsx').expect(200);
      expect(first.body).toMatchObject({ file_id: expect.stringMatching(/^[0-9a-f-]{36}$/), imported: preview.rows - preview.errors.length, skipped: 0 });
      expect(first.body.errors).toEqual(preview.errors);
      expect(await fileRecords()).toBe(files + 1);
      const qs = await questions(campaignId);
      expect(qs.total).toBe(first.body.imported);
      expect(qs.items[0].topic_id).not.toBeNull();
      expect(qs.items[0].persona_id).not.toBeNull();
      expect(qs.items[0].metadata).toMatchObject({ source: 'upload', file: 'questions-messy.xlsx' });
      const again = await upload(campaignId, messy(), 'questions-messy.xlsx').expect(200);
      expect(again.body).toMatchObject({ imported: 0, skipped: first.body.imported });
    });

    it('reads what European Excel saves: BOM, semicolons, CRLF, a quoted newline, German headers', async () => {
      const campaignId = await newCampaign();
      const dry = await upload(campaignId, euCsv(), 'questions-excel-eu.csv', { dry_run: 'true' }).expect(200);
      expect(dry.body).toMatchObject({ format: 'csv', delimiter: ';' });
      expect(dry.body.mapping).toMatchObject({ question_text: 'Frage', topic_title: 'Thema', persona_name: 'Persona', persona_locale: 'Sprache' });
      const res = await upload(campaignId, euCsv(), 'questions-excel-eu.csv').expect(200);
      expect(res.body.imported).toBe(dry.body.rows - dry.body.errors.length);
      const stored = await questions(campaignId);
      expect(stored.total).toBe(res.body.imported);
      // The quoted field with a line break and doubled quotes comes through as one question.
      expect(stored.items.map((q) => q.text)).toContainEqual(expect.stringMatching(/^Which BI tool, if any,\r?\nhandles "row-level security" well; and why\?$/));
    });

    it('reads .xls and .ods, picks the sheet with questions or the one named, and reports row errors by sheet row', async () => {
      const campaignId = await newCampaign();
      const sheets = {
        Cover: [['Question set for Q3'], ['owner: marketing']],
        Fragen: [['Fragenkatalog'], [], ['Thema', 'Zielgruppe', 'Rolle', 'Frage'], ['CRM', 'Gründer', 'CEO', 'Welches CRM passt zu uns?'], ['', '', '', ''], ['CRM', 'Gründer', 'CEO', ''], ['Preise', 'Analyst', '', 'Was kostet ein CRM?']],
        Other: [['Question'], ['Only here?']],
      };
      for (const [bookType, name] of [['xls', 'q.xls'], ['ods', 'q.ods'], ['xlsx', 'q.xlsx']] as const) {
        const dry = await upload(campaignId, workbook(sheets, bookType), name, { dry_run: 'true' }).expect(200);
        expect(dry.body).toMatchObject({ format: bookType, sheet: 'Fragen', header_row: 3, rows: 3 });
        expect(dry.body.errors).toEqual([{ row: 6, message: expect.stringMatching(/question/i) }]);
      }
      const other = await upload(campaignId, workbook(sheets), 'q.xlsx', { dry_run: 'true', sheet: 'Other' }).expect(200);
      expect(other.body.preview).toEqual([expect.objectContaining({ row: 2, question_text: 'Only here?' })]);
      expectProblem(await upload(campaignId, workbook(sheets), 'q.xlsx', { dry_run: 'true', sheet: 'Nope' }), 400);
      const res = await upload(campaignId, workbook(sheets, 'ods'), 'q.ods').expect(200);
      expect(res.body).toMatchObject({ imported: 2, skipped: 0, errors: [{ row: 6, message: expect.any(String) }] });
    });

    it('uses an explicit mapping or a saved profile instead of the guess', async () => {
      const campaignId = await newCampaign();
      const csv = Buffer.from('Col A,Col B,Col C\r\nSEO tools,Which SEO tool is best?,x\r\nSEO tools,Is SEO dead?,y\r\n');
      expectProblem(await upload(campaignId, csv, 'odd.csv', { dry_run: 'true' }), 400);
      const explicit = await upload(campaignId, csv, 'odd.csv', { dry_run: 'true', mapping: JSON.stringify({ question_text: 'col b', topic_title: 'Col A' }) }).expect(200);
      expect(explicit.body).toMatchObject({ mapping: { question_text: 'Col B', topic_title: 'Col A' }, unmapped_headers: ['Col C'], rows: 2, mapping_source: 'explicit' });

      const name = `odd-${randomUUID().slice(0, 8)}`;
      const profile = await t.http.post('/api/v1/mapping-profiles').set(t.auth).send({ name, mapping: { question_text: 'Col B' } }).expect(201);
      expect(profile.body).toMatchObject({ name, mapping: { question_text: 'Col B' } });
      expectProblem(await t.http.post('/api/v1/mapping-profiles').set(t.auth).send({ name, mapping: { question_text: 'X' } }), 409, 'conflict');
      expectProblem(await t.http.post('/api/v1/mapping-profiles').set(t.auth).send({ name: 'bad', mapping: { question: 'X' } }), 400, 'validation_failed');
      expectProblem(await t.http.post('/api/v1/mapping-profiles').set(t.auth).send({ name: 'bad', mapping: { topic_title: 'X' } }), 400, 'validation_failed');
      expect((await t.http.get(`/api/v1/mapping-profiles/${name}`).set(t.auth).expect(200)).body.name).toBe(name);
      expect((await t.http.get('/api/v1/mapping-profiles').set(t.auth).expect(200)).body.items.map((p: { name: string }) => p.name)).toContain(name);
      const res = await upload(campaignId, csv, 'odd.csv', { mapping_profile: name }).expect(200);
      expect(res.body).toMatchObject({ imported: 2, mapping: { question_text: 'Col B' } });

      expectProblem(await upload(campaignId, csv, 'odd.csv', { mapping_profile: 'no-such-profile' }), 400);
      expectProblem(await upload(campaignId, csv, 'odd.csv', { mapping_profile: name, mapping: '{"question_text":"Col B"}' }), 400);
      expectProblem(await upload(campaignId, csv, 'odd.csv', { mapping: '{not json' }), 400);
      expectProblem(await upload(campaignId, csv, 'odd.csv', { mapping: '{"question_text":"Missing header"}' }), 400);
      await t.http.delete(`/api/v1/mapping-profiles/${name}`).set(t.auth).expect(204);
      expectProblem(await t.http.get(`/api/v1/mapping-profiles/${name}`).set(t.auth), 404, 'not_found');
    });

    it('answers bad uploads with a clear 4xx and writes nothing', async () => {
      const campaignId = await newCampaign();
      const files = await fileRecords();
      const cases: [Buffer, string, number, Record<string, string>?][] = [
        [Buffer.alloc(0), 'empty.csv', 400],
        [Buffer.from('\uFEFF  \r\n'), 'blank.csv', 400],
        [Buffer.from('Question\nWhat?\n'), 'text.xlsx', 415],
        [messy(), 'zip.csv', 415],
        [Buffer.from('%PDF-1.4 ...'), 'doc.pdf', 415],
        [Buffer.from('Question,Topic\n"Unclosed quote,CRM\nWhat next?,CRM\n'), 'broken.csv', 400],
        [Buffer.from('Name,Email\nAnn,ann@example.com\n'), 'contacts.csv', 400],
        [Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(2000, 7)]), 'garbage.xlsx', 400],
        [zipBomb(60 * 1024 * 1024), 'bomb.xlsx', 413],
        [Buffer.alloc(3 * 1024 * 1024, 0x41), 'huge.csv', 413],
      ];
      for (const [content, name, status] of cases) {
        const started = Date.now();
        const res = await upload(campaignId, content, name);
        expect([name, res.status]).toEqual([name, status]);
        expectProblem(res, status);
        expect(Date.now() - started).toBeLessThan(10_000);
      }
      expectProblem(await t.http.post('/api/v1/questions:ingest').set(t.auth).field('campaign_id', campaignId), 400, 'validation_failed');
      expectProblem(await upload(randomUUID(), euCsv(), 'eu.csv'), 404, 'not_found');
      expectProblem(await upload('nope', euCsv(), 'eu.csv'), 400, 'validation_failed');
      expectProblem(await upload(campaignId, euCsv(), 'eu.csv', { surprise: 'x' }), 400, 'validation_failed');
      expectProblem(await upload(campaignId, euCsv(), 'eu.csv', { dry_run: 'maybe' }), 400, 'validation_failed');
      expect((await questions(campaignId)).total).toBe(0);
      expect(await fileRecords()).toBe(files);
    });
  });
}
