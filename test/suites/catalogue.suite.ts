import { randomUUID } from 'node:crypto';
import { campaignBody, personaBody } from '../factories/catalogue';
import { expectProblem } from '../helpers/problem';
import { createTestApp, DbMode, TestApp } from '../helpers/test-app';

/** The campaign catalogue through the real HTTP stack; run once per database mode and JSON type. */
export function catalogueSuite(file: string, mode: DbMode, useJsonb: boolean): void {
  describe(`campaign catalogue (${mode} schema, ${useJsonb ? 'jsonb' : 'text'} JSON)`, () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await createTestApp(file, { mode, useJsonb, env: { BODY_MAX_BYTES: '65536' } });
    });
    afterAll(async () => {
      await t?.close();
    });

    const post = (path: string, body: unknown) => t.http.post(`/api/v1${path}`).set(t.auth).send(body as object);
    const get = (path: string) => t.http.get(`/api/v1${path}`).set(t.auth);
    const patch = (path: string, body: unknown) => t.http.patch(`/api/v1${path}`).set(t.auth).send(body as object);
    const del = (path: string) => t.http.delete(`/api/v1${path}`).set(t.auth);
    const countCampaigns = async () => (await get('/campaigns?limit=1')).body.total as number;

    describe('auth', () => {
      it('refuses a request without a key, or with a wrong one, with a 401 problem', async () => {
        expectProblem(await t.http.get('/api/v1/campaigns'), 401, 'unauthorized');
        expectProblem(await t.http.get('/api/v1/campaigns').set('X-API-Key', 'wrong-key-000000'), 401, 'unauthorized');
        expectProblem(await t.http.get('/api/v1/campaigns').set('Authorization', 'Basic dGVzdA=='), 401, 'unauthorized');
        expectProblem(await t.http.post('/api/v1/campaigns').send(campaignBody()), 401, 'unauthorized');
      });

      it('accepts any configured key, in X-API-Key or as a bearer token', async () => {
        expect((await t.http.get('/api/v1/campaigns').set('X-API-Key', t.key)).status).toBe(200);
        expect((await t.http.get('/api/v1/campaigns').set('Authorization', `Bearer ${t.key}`)).status).toBe(200);
        expect((await t.http.get('/api/v1/campaigns').set('Authorization', 'bearer second-key-abcdef')).status).toBe(200);
      });

      it('echoes a given X-Request-Id and makes one up otherwise', async () => {
        const given = await get('/campaigns').set('X-Request-Id', 'trace-abc.123');
        expect(given.headers['x-request-id']).toBe('trace-abc.123');
        const made = await get('/campaigns');
        expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
        const unsafe = await get('/campaigns').set('X-Request-Id', 'bad id with spaces');
        expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      });
    });

    describe('campaigns', () => {
      it('creates a campaign and answers it in the contract shape', async () => {
        const body = campaignBody({ brand_domains: ['https://www.Acme.example/pricing', 'acme.example'], brand_aliases: ['Acme', 'acme', ' AcmeCRM '] });
        const res = await post('/campaigns', body).expect(201);
        expect(res.body).toEqual({
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          name: body.name,
          product_name: 'Acme CRM',
          brand_aliases: ['Acme', 'AcmeCRM'],
          brand_domains: ['acme.example'],
          competitors: [{ name: 'Globex', aliases: ['Globex CRM'], domains: ['globex.example'] }],
          created_at: expect.stringMatching(/Z$/),
          updated_at: expect.stringMatching(/Z$/),
        });
        const got = await get(`/campaigns/${res.body.id}`).expect(200);
        expect(got.body).toEqual(res.body);
      });

      it('applies defaults for the optional fields', async () => {
        const res = await post('/campaigns', { name: `Minimal ${randomUUID()}` }).expect(201);
        expect(res.body).toMatchObject({ product_name: null, brand_aliases: [], brand_domains: [], competitors: [] });
      });

      it('refuses a second campaign with the same name in another case, spacing or Unicode form', async () => {
        const name = `Unique Name ${randomUUID().slice(0, 8)}`;
        await post('/campaigns', { name }).expect(201);
        const before = await countCampaigns();
        expectProblem(await post('/campaigns', { name: `  ${name.toUpperCase().replace(' ', '\u00A0 ')} ` }), 409, 'conflict');
        expect(await countCampaigns()).toBe(before);
      });

      it('creates exactly one campaign when the same name is posted concurrently', async () => {
        const name = `Race ${randomUUID()}`;
        const results = await Promise.all(Array.from({ length: 8 }, () => post('/campaigns', { name })));
        expect(results.filter((r) => r.status === 201)).toHaveLength(1);
        expect(results.filter((r) => r.status === 409)).toHaveLength(7);
      });

      it('refuses invalid input with the field list and writes nothing', async () => {
        const before = await countCampaigns();
        const cases: [unknown, string[]][] = [
          [{}, ['name']],
          [{ name: '' }, ['name']],
          [{ name: '   ' }, ['name']],
          [{ name: 42 }, ['name']],
          [{ name: 'x'.repeat(201) }, ['name']],
          [{ name: 'ok', bogus: true }, ['bogus']],
          [{ name: 'ok', brand_aliases: 'Acme' }, ['brand_aliases']],
          [{ name: 'ok', brand_aliases: null }, ['brand_aliases']],
          [{ name: 'ok', brand_domains: ['not a domain'] }, ['brand_domains']],
          [{ name: 'ok', competitors: [{ name: '' }] }, ['competitors.0.name']],
          [{ name: 'ok', competitors: [{ name: 'G', extra: 1 }] }, ['competitors.0.extra']],
          [{ name: 'ok', competitors: [{ name: 'G' }, { name: 'g' }] }, ['competitors.1.name']],
          [{ name: 'ok', product_name: 'Acme', competitors: [{ name: 'acme' }] }, ['competitors.0.name']],
          [[{ name: 'array body' }], []],
        ];
        for (const [body, fields] of cases) {
          const problem = expectProblem(await post('/campaigns', body), 400, 'validation_failed');
          for (const f of fields) expect(problem.errors?.map((e) => e.field)).toContain(f);
        }
        expect(await countCampaigns()).toBe(before);
      });

      it('answers malformed JSON, a wrong content type or charset and an oversize body with problems', async () => {
        const before = await countCampaigns();
        const malformed = await t.http.post('/api/v1/campaigns').set(t.auth).set('Content-Type', 'application/json').send('{"name": "x",');
        expectProblem(malformed, 400, 'malformed_body');
        for (const hostile of ['{"name": "x", "bogus": {"constructor": {"prototype": {}}}}', '{"name": "x", "__proto__": {"admin": true}}']) {
          const res = await t.http.post('/api/v1/campaigns').set(t.auth).set('Content-Type', 'application/json').send(hostile);
          expect(expectProblem(res, 400, 'malformed_body').detail).toMatch(/is not allowed as a key/);
        }
        const text = await t.http.post('/api/v1/campaigns').set(t.auth).set('Content-Type', 'text/plain').send('name=x');
        expectProblem(text, 415, 'unsupported_media_type');
        const form = await t.http.post('/api/v1/campaigns').set(t.auth).type('form').send({ name: 'x' });
        expectProblem(form, 415, 'unsupported_media_type');
        const charset = await t.http.post('/api/v1/campaigns').set(t.auth).set('Content-Type', 'application/json; charset=latin1').send('{}');
        expectProblem(charset, 415, 'unsupported_media_type');
        const vendor = await t.http.post('/api/v1/campaigns').set(t.auth).set('Content-Type', 'application/vnd.api+json').send(JSON.stringify({ name: 'vendor json' }));
        expect(vendor.status).toBe(201);
        await del(`/campaigns/${vendor.body.id}`).expect(204);
        const big = await post('/campaigns', { name: 'big', brand_aliases: Array.from({ length: 100 }, () => 'x'.repeat(1000)) });
        expectProblem(big, 413, 'payload_too_large');
        expect(await countCampaigns()).toBe(before);
      });

      it('answers 400 for a malformed id, 404 for an unknown one, 404 problem for an unknown route', async () => {
        expectProblem(await get('/campaigns/not-a-uuid'), 400, 'validation_failed');
        expectProblem(await get(`/campaigns/${randomUUID()}`), 404, 'not_found');
        expectProblem(await patch(`/campaigns/${randomUUID()}`, { name: 'x' }), 404, 'not_found');
        expectProblem(await del(`/campaigns/${randomUUID()}`), 404, 'not_found');
        expectProblem(await get('/no-such-route'), 404, 'route_not_found');
      });

      it('pages through campaigns in creation order', async () => {
        const prefix = randomUUID().slice(0, 8);
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) ids.push((await post('/campaigns', { name: `Page ${prefix} ${i}` }).expect(201)).body.id);
        const all = await get('/campaigns?limit=500').expect(200);
        const order = (all.body.items as { id: string }[]).map((c) => c.id).filter((id) => ids.includes(id));
        expect(order).toEqual(ids);
        const page = await get(`/campaigns?limit=2&offset=1`).expect(200);
        expect(page.body).toMatchObject({ limit: 2, offset: 1, total: all.body.total });
        expect(page.body.items).toHaveLength(2);
        expect(page.body.items[0].id).toBe(all.body.items[1].id);
        const beyond = await get(`/campaigns?offset=100000`).expect(200);
        expect(beyond.body).toMatchObject({ items: [], total: all.body.total, offset: 100000, limit: 50 });
        for (const q of ['limit=0', 'limit=501', 'limit=abc', 'offset=-1', 'offset=1.5', 'unknown=1']) {
          expectProblem(await get(`/campaigns?${q}`), 400, 'validation_failed');
        }
      });

      it('updates some fields, refuses nulls for required ones, and keeps names unique', async () => {
        const a = (await post('/campaigns', campaignBody()).expect(201)).body;
        const b = (await post('/campaigns', campaignBody()).expect(201)).body;
        const res = await patch(`/campaigns/${a.id}`, { product_name: null, brand_aliases: ['New'] }).expect(200);
        expect(res.body).toMatchObject({ name: a.name, product_name: null, brand_aliases: ['New'], competitors: a.competitors });
        expect(new Date(res.body.updated_at).getTime()).toBeGreaterThanOrEqual(new Date(a.updated_at).getTime());
        expectProblem(await patch(`/campaigns/${a.id}`, { name: null }), 400, 'validation_failed');
        expectProblem(await patch(`/campaigns/${a.id}`, { competitors: null }), 400, 'validation_failed');
        expectProblem(await patch(`/campaigns/${a.id}`, { id: randomUUID() }), 400, 'validation_failed');
        expectProblem(await patch(`/campaigns/${a.id}`, { name: b.name.toLowerCase() }), 409, 'conflict');
        const renamed = await patch(`/campaigns/${a.id}`, { name: `${a.name} renamed` }).expect(200);
        expect(renamed.body.name).toBe(`${a.name} renamed`);
        // The old name is free again.
        await post('/campaigns', { name: a.name }).expect(201);
        expect((await get(`/campaigns/${a.id}`).expect(200)).body).toEqual(renamed.body);
      });

      it('deletes a campaign with its topics and questions, and frees its name', async () => {
        const c = (await post('/campaigns', campaignBody()).expect(201)).body;
        const topic = (await post(`/campaigns/${c.id}/topics`, { title: 'CRM' }).expect(201)).body;
        await post(`/campaigns/${c.id}/questions`, { text: 'Which CRM?', topic_id: topic.id }).expect(201);
        await del(`/campaigns/${c.id}`).expect(204);
        expectProblem(await get(`/campaigns/${c.id}`), 404, 'not_found');
        expectProblem(await get(`/campaigns/${c.id}/topics`), 404, 'not_found');
        expectProblem(await get(`/campaigns/${c.id}/questions`), 404, 'not_found');
        expectProblem(await get(`/campaigns/${c.id}/topics/${topic.id}`), 404, 'not_found');
        expectProblem(await del(`/campaigns/${c.id}`), 404, 'not_found');
        await post('/campaigns', { name: c.name }).expect(201);
      });
    });

    describe('topics', () => {
      let campaign: { id: string };
      beforeAll(async () => {
        campaign = (await post('/campaigns', campaignBody()).expect(201)).body;
      });

      it('creates, lists, gets, updates and deletes topics of a campaign', async () => {
        const t1 = await post(`/campaigns/${campaign.id}/topics`, { title: 'CRM for agencies', description: 'Choosing a CRM' }).expect(201);
        expect(t1.body).toMatchObject({ id: expect.any(String), campaign_id: campaign.id, title: 'CRM for agencies', description: 'Choosing a CRM' });
        const t2 = await post(`/campaigns/${campaign.id}/topics`, { title: 'Pricing' }).expect(201);
        expect(t2.body.description).toBeNull();
        const list = await get(`/campaigns/${campaign.id}/topics`).expect(200);
        expect(list.body).toMatchObject({ total: 2, limit: 50, offset: 0 });
        expect(list.body.items.map((x: { title: string }) => x.title)).toEqual(['CRM for agencies', 'Pricing']);
        expect((await get(`/campaigns/${campaign.id}/topics/${t1.body.id}`).expect(200)).body).toEqual(t1.body);
        const updated = await patch(`/campaigns/${campaign.id}/topics/${t2.body.id}`, { description: 'Plans and prices' }).expect(200);
        expect(updated.body).toMatchObject({ title: 'Pricing', description: 'Plans and prices' });
        expectProblem(await patch(`/campaigns/${campaign.id}/topics/${t2.body.id}`, { title: 'crm  FOR agencies' }), 409, 'conflict');
        await del(`/campaigns/${campaign.id}/topics/${t2.body.id}`).expect(204);
        expect((await get(`/campaigns/${campaign.id}/topics`).expect(200)).body.total).toBe(1);
      });

      it('refuses a duplicate title in the campaign but allows it in another campaign', async () => {
        await post(`/campaigns/${campaign.id}/topics`, { title: 'Integrations' }).expect(201);
        expectProblem(await post(`/campaigns/${campaign.id}/topics`, { title: ' integrations ' }), 409, 'conflict');
        const other = (await post('/campaigns', campaignBody()).expect(201)).body;
        await post(`/campaigns/${other.id}/topics`, { title: 'Integrations' }).expect(201);
      });

      it('answers 404 for an unknown campaign, and does not show a topic under another campaign', async () => {
        expectProblem(await post(`/campaigns/${randomUUID()}/topics`, { title: 'x' }), 404, 'not_found');
        expectProblem(await get(`/campaigns/${randomUUID()}/topics`), 404, 'not_found');
        const topic = (await post(`/campaigns/${campaign.id}/topics`, { title: 'Mine' }).expect(201)).body;
        const other = (await post('/campaigns', campaignBody()).expect(201)).body;
        expectProblem(await get(`/campaigns/${other.id}/topics/${topic.id}`), 404, 'not_found');
        expectProblem(await post(`/campaigns/${campaign.id}/topics`, { title: 'x', campaign_id: other.id }), 400, 'validation_failed');
      });
    });

    describe('personas', () => {
      it('creates, lists, gets, updates and deletes personas', async () => {
        const body = personaBody();
        const p = await post('/personas', body).expect(201);
        expect(p.body).toMatchObject({ ...body, id: expect.any(String), created_at: expect.any(String) });
        expect((await get(`/personas/${p.body.id}`).expect(200)).body).toEqual(p.body);
        const list = await get('/personas?limit=500').expect(200);
        expect(list.body.items.map((x: { id: string }) => x.id)).toContain(p.body.id);
        const updated = await patch(`/personas/${p.body.id}`, { tone: 'skeptical', locale: null }).expect(200);
        expect(updated.body).toMatchObject({ name: body.name, tone: 'skeptical', locale: null });
        await del(`/personas/${p.body.id}`).expect(204);
        expectProblem(await get(`/personas/${p.body.id}`), 404, 'not_found');
      });

      it('refuses duplicates and invalid fields', async () => {
        const body = personaBody();
        await post('/personas', body).expect(201);
        expectProblem(await post('/personas', { name: String(body.name).toUpperCase() }), 409, 'conflict');
        expectProblem(await post('/personas', personaBody({ locale: 'english please' })), 400, 'validation_failed');
        expectProblem(await post('/personas', personaBody({ extra: 'x' })), 400, 'validation_failed');
        expectProblem(await post('/personas', personaBody({ age: 30 })), 400, 'validation_failed');
      });
    });

    describe('questions', () => {
      let campaign: { id: string };
      let topicA: { id: string };
      let topicB: { id: string };
      let persona: { id: string };

      beforeAll(async () => {
        campaign = (await post('/campaigns', campaignBody()).expect(201)).body;
        topicA = (await post(`/campaigns/${campaign.id}/topics`, { title: 'A' }).expect(201)).body;
        topicB = (await post(`/campaigns/${campaign.id}/topics`, { title: 'B' }).expect(201)).body;
        persona = (await post('/personas', personaBody()).expect(201)).body;
      });

      it('adds questions and lists them filtered by topic and persona', async () => {
        const q1 = await post(`/campaigns/${campaign.id}/questions`, { text: 'Which CRM should a 20-person agency pick?', topic_id: topicA.id, persona_id: persona.id, metadata: { source: 'test' } }).expect(201);
        expect(q1.body).toMatchObject({ campaign_id: campaign.id, topic_id: topicA.id, persona_id: persona.id, text: 'Which CRM should a 20-person agency pick?', metadata: { source: 'test' } });
        await post(`/campaigns/${campaign.id}/questions`, { text: 'Which CRM should a 20-person agency pick?', topic_id: topicB.id }).expect(201);
        await post(`/campaigns/${campaign.id}/questions`, { text: 'Is there a free CRM?', topic_id: topicA.id }).expect(201);
        await post(`/campaigns/${campaign.id}/questions`, { text: 'No topic at all' }).expect(201);

        expect((await get(`/campaigns/${campaign.id}/questions`).expect(200)).body.total).toBe(4);
        const byTopic = await get(`/campaigns/${campaign.id}/questions?topic_id=${topicA.id}`).expect(200);
        expect(byTopic.body.items.map((q: { text: string }) => q.text)).toEqual(['Which CRM should a 20-person agency pick?', 'Is there a free CRM?']);
        const byBoth = await get(`/campaigns/${campaign.id}/questions?topic_id=${topicA.id}&persona_id=${persona.id}`).expect(200);
        expect(byBoth.body.total).toBe(1);
        expect(byBoth.body.items[0]).toEqual(q1.body);
        const paged = await get(`/campaigns/${campaign.id}/questions?limit=1&offset=3`).expect(200);
        expect(paged.body).toMatchObject({ total: 4, limit: 1, offset: 3 });
        expect(paged.body.items[0].text).toBe('No topic at all');
        expectProblem(await get(`/campaigns/${campaign.id}/questions?topic_id=nope`), 400, 'validation_failed');
        expect((await get(`/campaigns/${campaign.id}/questions/${q1.body.id}`).expect(200)).body).toEqual(q1.body);
      });

      it('refuses the same question twice on normalized text, but not for another persona', async () => {
        await post(`/campaigns/${campaign.id}/questions`, { text: 'What does Acme cost?', topic_id: topicB.id, persona_id: persona.id }).expect(201);
        expectProblem(await post(`/campaigns/${campaign.id}/questions`, { text: '  what DOES acme\tcost? ', topic_id: topicB.id, persona_id: persona.id }), 409, 'conflict');
        await post(`/campaigns/${campaign.id}/questions`, { text: 'What does Acme cost?', topic_id: topicB.id }).expect(201);
      });

      it('refuses a topic of another campaign and an unknown persona', async () => {
        const other = (await post('/campaigns', campaignBody()).expect(201)).body;
        const foreign = (await post(`/campaigns/${other.id}/topics`, { title: 'Foreign' }).expect(201)).body;
        const p1 = expectProblem(await post(`/campaigns/${campaign.id}/questions`, { text: 'x?', topic_id: foreign.id }), 400, 'validation_failed');
        expect(p1.errors?.[0].field).toBe('topic_id');
        const p2 = expectProblem(await post(`/campaigns/${campaign.id}/questions`, { text: 'x?', persona_id: randomUUID() }), 400, 'validation_failed');
        expect(p2.errors?.[0].field).toBe('persona_id');
        expectProblem(await post(`/campaigns/${randomUUID()}/questions`, { text: 'x?' }), 404, 'not_found');
      });

      it('keeps a persona that questions use, and deletes a topic with its questions', async () => {
        const p = (await post('/personas', personaBody()).expect(201)).body;
        const topic = (await post(`/campaigns/${campaign.id}/topics`, { title: 'Doomed' }).expect(201)).body;
        const q = (await post(`/campaigns/${campaign.id}/questions`, { text: 'Used?', persona_id: p.id, topic_id: topic.id }).expect(201)).body;
        expectProblem(await del(`/personas/${p.id}`), 409, 'conflict');
        await del(`/campaigns/${campaign.id}/topics/${topic.id}`).expect(204);
        expectProblem(await get(`/campaigns/${campaign.id}/questions/${q.id}`), 404, 'not_found');
        await del(`/personas/${p.id}`).expect(204);
      });
    });
  });
}
