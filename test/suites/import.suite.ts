import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectProblem } from '../helpers/problem';
import { createTestApp, DbMode, TestApp } from '../helpers/test-app';

export const FIXTURES = join(__dirname, '..', '..', '..', 'shared', 'fixtures');

/** POST /question-sets:import through the real HTTP stack, in one database mode. */
export function importSuite(file: string, mode: DbMode): void {
  describe(`agent import (${mode} schema)`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(file, { mode, env: { BODY_MAX_BYTES: '2000000' } });
    });
    afterAll(async () => {
      await t?.close();
    });

    const send = (body: string, type = 'application/x-ndjson') =>
      t.http.post('/api/v1/question-sets:import').set(t.auth).set('Content-Type', type).send(body);
    const jsonl = (items: unknown[]): string => items.map((i) => JSON.stringify(i)).join('\n');
    const get = (path: string) => t.http.get(`/api/v1${path}`).set(t.auth);
    const campaignByName = async (name: string): Promise<{ id: string } | undefined> =>
      ((await get('/campaigns?limit=500').expect(200)).body.items as { id: string; name: string }[]).find((c) => c.name === name);
    const questionCount = async (campaignId: string): Promise<number> => (await get(`/campaigns/${campaignId}/questions?limit=1`).expect(200)).body.total as number;

    it('imports the fixture question set, then imports nothing when it is posted again', async () => {
      const body = readFileSync(join(FIXTURES, 'question-set.jsonl'), 'utf8');
      const lines = body.split('\n').filter((l) => l.trim()).length;
      const first = await send(body).expect(200);
      expect(first.body).toEqual({ imported: lines, skipped: 0, errors: [] });
      const again = await send(body).expect(200);
      expect(again.body).toEqual({ imported: 0, skipped: lines, errors: [] });

      const acme = await campaignByName('Acme CRM visibility');
      const northwind = await campaignByName('Northwind Analytics visibility');
      expect(acme && northwind).toBeTruthy();
      expect((await questionCount(acme!.id)) + (await questionCount(northwind!.id))).toBe(lines);
      const topics = (await get(`/campaigns/${acme!.id}/topics?limit=500`).expect(200)).body.items as { title: string; description: string }[];
      expect(topics.map((x) => x.title)).toContain('CRM for agencies');
      expect(topics.find((x) => x.title === 'CRM for agencies')?.description).toBe('Choosing a CRM for service businesses');
      const personas = (await get('/personas?limit=500').expect(200)).body.items as { name: string; locale: string }[];
      expect(personas.find((p) => p.name === 'Operations lead')).toMatchObject({ locale: 'de-DE' });
      const q = (await get(`/campaigns/${acme!.id}/questions?limit=1`).expect(200)).body.items[0];
      expect(q.metadata).toMatchObject({ source: 'fixture' });
    });

    it('accepts a JSON array with the string shorthand, and reports invalid items by array index + 1', async () => {
      const campaign = `Shorthand ${randomUUID()}`;
      const res = await send(
        JSON.stringify([
          { campaign, topic: 'Pricing', persona: 'CFO', question: 'What does a CRM cost?' },
          { campaign, question: { text: 'Is there a free CRM?', metadata: { n: 2 } } },
          { campaign },
          'not an object',
          { campaign, question: '', extra: 1 },
          { campaign: { name: campaign, competitors: [{ name: 'G' }, { name: 'g' }] }, question: 'Twice G?' },
          { campaign, question: { text: 'Hostile?', metadata: JSON.parse('{"constructor": {"prototype": {"x": 1}}}') as object } },
        ]),
        'application/json',
      ).expect(200);
      expect(res.body.imported).toBe(2);
      expect(res.body.skipped).toBe(0);
      expect(res.body.errors.map((e: { line: number }) => e.line)).toEqual([3, 4, 5, 6, 7]);
      expect(res.body.errors[4].message).toMatch(/"constructor" is not allowed as a key/);
      expect(res.body.errors[0].message).toMatch(/question/);
      expect(res.body.errors[2].message).toMatch(/extra|question\.text/);
      const c = await campaignByName(campaign);
      const questions = (await get(`/campaigns/${c!.id}/questions`).expect(200)).body.items as { text: string; topic_id: string | null; persona_id: string | null; metadata: object }[];
      expect(questions).toHaveLength(2);
      expect(questions[0].topic_id).not.toBeNull();
      expect(questions[0].persona_id).not.toBeNull();
      expect(questions[1]).toMatchObject({ topic_id: null, persona_id: null, metadata: { n: 2 } });
    });

    it('imports the valid lines of JSON Lines and reports malformed ones with their line number', async () => {
      const campaign = `Lines ${randomUUID()}`;
      const body = ['\uFEFF' + JSON.stringify({ campaign, question: 'Q one?' }), '', '{"campaign": "x", "question": ', JSON.stringify({ campaign, question: 'Q two?' }), 'null', '   '].join('\r\n');
      const res = await send(body).expect(200);
      expect(res.body).toEqual({
        imported: 2,
        skipped: 0,
        errors: [
          { line: 3, message: expect.stringMatching(/^malformed JSON/) },
          { line: 5, message: expect.stringMatching(/object/) },
        ],
      });
    });

    it('skips questions that differ only in case, spacing or Unicode form', async () => {
      const campaign = `Normalized ${randomUUID()}`;
      const base = { campaign, topic: 'CRM', persona: 'Founder' };
      const res = await send(
        jsonl([
          { ...base, question: 'Which CRM is best for agencies?' },
          { ...base, question: '  which   CRM is BEST for agencies? ' },
          { ...base, question: 'Which ＣＲＭ is best for agencies?' },
          { ...base, topic: ' crm ', persona: 'FOUNDER', question: 'Which CRM is best for agencies?' },
          { ...base, persona: 'Analyst', question: 'Which CRM is best for agencies?' },
        ]),
      ).expect(200);
      expect(res.body).toEqual({ imported: 2, skipped: 3, errors: [] });
    });

    it('keeps an existing campaign as it is and adds to it', async () => {
      const name = `Existing ${randomUUID()}`;
      const created = (await t.http.post('/api/v1/campaigns').set(t.auth).send({ name, product_name: 'Original', brand_aliases: ['Orig'] }).expect(201)).body;
      await send(jsonl([{ campaign: { name: name.toUpperCase(), product_name: 'Other' }, question: 'Added?' }])).expect(200);
      const after = (await get(`/campaigns/${created.id}`).expect(200)).body;
      expect(after).toMatchObject({ product_name: 'Original', brand_aliases: ['Orig'] });
      expect(await questionCount(created.id)).toBe(1);
    });

    it('creates everything once when the same body is posted twice at the same moment', async () => {
      const campaign = `Concurrent ${randomUUID()}`;
      const items = Array.from({ length: 300 }, (_, i) => ({ campaign, topic: `Topic ${i % 7}`, persona: `Persona ${i % 5}`, question: `Question number ${i}?` }));
      const body = jsonl(items);
      const results = await Promise.all([send(body), send(body), send(body)]);
      for (const r of results) expect(r.status).toBe(200);
      expect(results.reduce((n, r) => n + (r.body.imported as number), 0)).toBe(300);
      expect(results.reduce((n, r) => n + (r.body.skipped as number), 0)).toBe(600);
      const matches = ((await get('/campaigns?limit=500').expect(200)).body.items as { name: string }[]).filter((c) => c.name === campaign);
      expect(matches).toHaveLength(1);
      const c = await campaignByName(campaign);
      expect(await questionCount(c!.id)).toBe(300);
      expect((await get(`/campaigns/${c!.id}/topics`).expect(200)).body.total).toBe(7);
    });

    it('imports across batch boundaries', async () => {
      const campaign = `Large ${randomUUID()}`;
      const items = Array.from({ length: 4500 }, (_, i) => ({ campaign, topic: `T${i % 40}`, persona: `Large persona ${i % 9}`, question: `Large question ${i}` }));
      const res = await send(jsonl(items.slice(0, 2500)) + '\n' + jsonl(items)).expect(200);
      expect(res.body).toEqual({ imported: 4500, skipped: 2500, errors: [] });
      const c = await campaignByName(campaign);
      expect(await questionCount(c!.id)).toBe(4500);
    });

    it('writes nothing for a body that is unreadable as a whole', async () => {
      const campaign = `Broken ${randomUUID()}`;
      const broken = await send(`[${JSON.stringify({ campaign, question: 'Fine?' })}, ${JSON.stringify({ campaign, question: 'Also fine?' })}, {"campaign": `, 'application/json');
      const problem = expectProblem(broken, 400, 'malformed_body');
      expect(problem.errors?.[0]).toMatchObject({ line: 3 });
      expect(await campaignByName(campaign)).toBeUndefined();

      expectProblem(await send(''), 400, 'validation_failed');
      expectProblem(await send(' \n \r\n', 'application/json'), 400, 'validation_failed');
      const allBad = expectProblem(await send('nope\n{"campaign": 1}'), 400, 'validation_failed');
      expect(allBad.errors?.map((e) => (e as { line?: number }).line)).toEqual([1, 2]);
      expectProblem(await send('{"campaign":"x","question":"y"}', 'text/plain'), 415, 'unsupported_media_type');
    });

    it('writes nothing when the client goes away in the middle of a body', async () => {
      const campaign = `Aborted ${randomUUID()}`;
      const server = t.app.getHttpServer();
      if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as { port: number };
      const { request } = await import('node:http');
      // More than one batch (2,000 items) goes out, so the import has written rows before the cut.
      const lines = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ campaign, question: `Aborted question ${i}` })).join('\n');
      await new Promise<void>((resolve) => {
        const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/api/v1/question-sets:import', headers: { ...t.auth, 'Content-Type': 'application/x-ndjson', 'Content-Length': String(Buffer.byteLength(lines) + 1000) } });
        req.on('error', () => resolve());
        req.write(lines);
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 500);
      });
      await new Promise((r) => setTimeout(r, 500));
      expect(await campaignByName(campaign)).toBeUndefined();
    });

    it('refuses an oversize body with 413 and writes nothing, even after valid items', async () => {
      const campaign = `Huge ${randomUUID()}`;
      const items = Array.from({ length: 4000 }, (_, i) => ({ campaign, question: `Padding question number ${i} ${'x'.repeat(600)}` }));
      const res = await send(jsonl(items));
      expectProblem(res, 413, 'payload_too_large');
      expect(await campaignByName(campaign)).toBeUndefined();
    });

    describe('template generation', () => {
      it('lists the templates', async () => {
        const res = await get('/question-templates').expect(200);
        expect(res.body).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'default', version: 1, languages: expect.arrayContaining(['en', 'de']) })]));
      });

      it('expands topics × personas in each persona\'s language, once', async () => {
        const campaign = (await t.http.post('/api/v1/campaigns').set(t.auth).send({ name: `Generate ${randomUUID()}` }).expect(201)).body;
        const topicA = (await t.http.post(`/api/v1/campaigns/${campaign.id}/topics`).set(t.auth).send({ title: 'CRM for agencies' }).expect(201)).body;
        await t.http.post(`/api/v1/campaigns/${campaign.id}/topics`).set(t.auth).send({ title: 'Invoicing' }).expect(201);
        const en = (await t.http.post('/api/v1/personas').set(t.auth).send({ name: `Gen EN ${randomUUID()}`, role: 'Founder', domain: 'agencies', locale: 'en-US' }).expect(201)).body;
        const de = (await t.http.post('/api/v1/personas').set(t.auth).send({ name: `Gen DE ${randomUUID()}`, locale: 'de-DE' }).expect(201)).body;
        const templates = (await get('/question-templates').expect(200)).body as { name: string; questions_per_pair: number }[];
        const perPair = templates.find((x) => x.name === 'default')!.questions_per_pair;

        const body = { campaign_id: campaign.id, template: 'default', persona_ids: [en.id, de.id] };
        const first = await t.http.post('/api/v1/question-sets:generate').set(t.auth).send(body).expect(200);
        // The German persona has no role and no domain: the questions that need them are left out.
        const expected = 2 * perPair + 2 * (perPair - 2);
        expect(first.body).toEqual({ generated: expected, skipped: 0, template: 'default', version: 1 });
        const again = await t.http.post('/api/v1/question-sets:generate').set(t.auth).send(body).expect(200);
        expect(again.body).toEqual({ generated: 0, skipped: expected, template: 'default', version: 1 });

        const german = (await get(`/campaigns/${campaign.id}/questions?persona_id=${de.id}&topic_id=${topicA.id}`).expect(200)).body.items as { text: string; metadata: object }[];
        expect(german.length).toBe(perPair - 2);
        expect(german.map((q) => q.text).join(' ')).toMatch(/CRM for agencies/);
        expect(german[0].text).toMatch(/Lösung|Anbieter|Angebote|Experten/);
        expect(german[0].metadata).toEqual({ source: 'template', template: 'default', template_version: 1 });
        const english = (await get(`/campaigns/${campaign.id}/questions?persona_id=${en.id}&topic_id=${topicA.id}`).expect(200)).body.items as { text: string }[];
        expect(english.map((q) => q.text)).toContain('As a Founder, what should I look for in CRM for agencies?');

        const one = await t.http.post('/api/v1/question-sets:generate').set(t.auth).send({ ...body, template: 'default@1', topic_ids: [topicA.id] }).expect(200);
        expect(one.body.generated).toBe(0);
      });

      it('refuses unknown templates, campaigns, topics and personas', async () => {
        const campaign = (await t.http.post('/api/v1/campaigns').set(t.auth).send({ name: `Generate bad ${randomUUID()}` }).expect(201)).body;
        const post = (body: object) => t.http.post('/api/v1/question-sets:generate').set(t.auth).send(body);
        expectProblem(await post({ campaign_id: campaign.id, template: 'nope' }), 400, 'validation_failed');
        expectProblem(await post({ campaign_id: campaign.id, template: 'default@7' }), 400, 'validation_failed');
        expectProblem(await post({ campaign_id: randomUUID(), template: 'default' }), 404, 'not_found');
        expectProblem(await post({ campaign_id: campaign.id, template: 'default' }), 400, 'validation_failed'); // no topics
        expectProblem(await post({ campaign_id: campaign.id, template: 'default', topic_ids: [randomUUID()] }), 400, 'validation_failed');
        expectProblem(await post({ campaign_id: campaign.id, template: 'default', persona_ids: ['x'] }), 400, 'validation_failed');
        expectProblem(await post({ campaign_id: 'x', template: 'default' }), 400, 'validation_failed');
        expectProblem(await post({ campaign_id: campaign.id, template: 'default', extra: true }), 400, 'validation_failed');
        expect((await get(`/campaigns/${campaign.id}/questions`).expect(200)).body.total).toBe(0);
      });
    });
  });
}
