import { randomUUID } from 'node:crypto';
import { campaignBody } from './factories/catalogue';
import { expectProblem } from './helpers/problem';
import { createTestApp, TestApp } from './helpers/test-app';

/** Idempotency-Key on POST: the same key answers the same result and creates nothing twice. */
describe('Idempotency-Key', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(__filename);
  });
  afterAll(async () => {
    await t?.close();
  });

  const count = async (): Promise<number> => (await t.http.get('/api/v1/campaigns?limit=1').set(t.auth).expect(200)).body.total as number;
  const post = (body: object, key?: string, apiKey = t.key) => {
    const req = t.http.post('/api/v1/campaigns').set('X-API-Key', apiKey);
    return (key ? req.set('Idempotency-Key', key) : req).send(body);
  };

  it('answers a repeat with the first answer and creates nothing twice', async () => {
    const key = randomUUID();
    const body = campaignBody();
    const before = await count();
    const first = await post(body, key).expect(201);
    const again = await post(body, key).expect(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(await count()).toBe(before + 1);
  });

  it('refuses the same key with another body (422), and keys are per API key', async () => {
    const key = randomUUID();
    await post(campaignBody(), key).expect(201);
    expectProblem(await post(campaignBody(), key), 422, 'idempotency_key_reused');
    // Another API key has its own key space.
    await post(campaignBody(), key, 'second-key-abcdef').expect(201);
  });

  it('lets one of two simultaneous requests with the same key through', async () => {
    const key = randomUUID();
    const body = campaignBody();
    const before = await count();
    const results = await Promise.all(Array.from({ length: 5 }, () => post(body, key)));
    const created = results.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    for (const r of created) expect(r.body.id).toBe(created[0].body.id);
    for (const r of results.filter((x) => x.status !== 201)) expectProblem(r, 409);
    expect(await count()).toBe(before + 1);
  });

  it('keeps no answer for a refused request, so it can be fixed and sent again with its key', async () => {
    const key = randomUUID();
    expectProblem(await post({ name: '' }, key), 400);
    await post(campaignBody(), key).expect(201);
  });

  it('refuses a malformed key and ignores the header on other methods', async () => {
    expectProblem(await post(campaignBody(), 'bad key with spaces'), 400);
    await t.http.get('/api/v1/campaigns').set(t.auth).set('Idempotency-Key', 'whatever').expect(200);
  });

  it('replays streamed imports by key', async () => {
    const key = randomUUID();
    const body = JSON.stringify({ campaign: `Idem ${randomUUID()}`, question: 'Replayed?' });
    const send = () => t.http.post('/api/v1/question-sets:import').set(t.auth).set('Idempotency-Key', key).set('Content-Type', 'application/x-ndjson').send(body);
    const first = await send().expect(200);
    expect(first.body).toEqual({ imported: 1, skipped: 0, errors: [] });
    const again = await send().expect(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it('documents the header on every POST', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body as { paths: Record<string, { post?: { parameters?: { name: string }[] } }> };
    const posts = Object.entries(doc.paths).filter(([, ops]) => ops.post);
    expect(posts.length).toBeGreaterThan(5);
    for (const [, ops] of posts) expect(ops.post!.parameters?.map((p) => p.name)).toContain('Idempotency-Key');
  });
});
