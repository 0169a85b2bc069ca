import { createTestApp, TestApp } from './helpers/test-app';
import { expectProblem } from './helpers/problem';
import { ALL_QUEUES } from '../src/core/queue/queue-names';

/** Bull Board at /admin/queues, behind the API keys. */
describe('queue dashboard', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(__filename);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses a request without a valid key with a 401 problem and a Basic challenge (so a browser asks for it)', async () => {
    for (const res of [
      await t.http.get('/admin/queues'),
      await t.http.get('/admin/queues/api/queues'),
      await t.http.get('/admin/queues').set('X-API-Key', 'wrong-key'),
      await t.http.get('/admin/queues').set('Authorization', `Basic ${Buffer.from('admin:wrong').toString('base64')}`),
    ]) {
      expectProblem(res, 401, 'unauthorized');
      expect(res.headers['www-authenticate']).toMatch(/^Basic realm=/);
    }
  });

  it('serves the dashboard and its API with the key (header, bearer, or Basic password)', async () => {
    const page = await t.http.get('/admin/queues').set(t.auth).expect(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    await t.http.get('/admin/queues').set('Authorization', `Basic ${Buffer.from(`ops:${t.auth['X-API-Key']}`).toString('base64')}`).expect(200);
    const api = await t.http.get('/admin/queues/api/queues').set(t.auth).expect(200);
    const names = (api.body as { queues: { name: string }[] }).queues.map((q) => q.name).sort();
    expect(names).toEqual([...ALL_QUEUES].sort());
  });
});
