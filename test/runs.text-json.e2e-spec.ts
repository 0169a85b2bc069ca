import { startEmulator, type EmulatorHandle } from '../src/emulator/emulator';
import { RunRepository } from '../src/runs/run.repository';
import { emulatorEnv } from './helpers/emulator-env';
import { createTestApp, TestApp } from './helpers/test-app';

/**
 * A run read back through every path (the API's GET, the repository's findById and list) is the run
 * that was created, with JSON kept as jsonb or as text (USE_JSONB=false), in the full schema.
 */
describe.each([true, false])('a run read back, full schema, USE_JSONB=%s', (useJsonb) => {
  let emu: EmulatorHandle;
  let t: TestApp;

  beforeAll(async () => {
    emu = await startEmulator({ port: 0 });
    t = await createTestApp(__filename, { useJsonb, env: emulatorEnv(emu) });
  });
  afterAll(async () => {
    await t?.close();
    await emu?.close();
  });

  it('keeps its settings, filters, label, timestamps and status', async () => {
    const line = { campaign: 'Text JSON', topic: 'CRM pricing', persona: { name: 'Analyst', role: 'Analyst' }, question: 'Which CRM?' };
    await t.http.post('/api/v1/question-sets:import').set(t.auth).set('Content-Type', 'application/x-ndjson').send(JSON.stringify(line)).expect(200);
    const campaignId = ((await t.http.get('/api/v1/campaigns').set(t.auth).expect(200)).body as { items: { id: string }[] }).items[0].id;
    const topicId = ((await t.http.get(`/api/v1/campaigns/${campaignId}/topics`).set(t.auth).expect(200)).body as { items: { id: string }[] }).items[0].id;
    const providers = [
      { provider: 'openai', model: 'gpt-5-mini', settings: { max_output_tokens: 500 } },
      { provider: 'gemini', model: 'gemini-2.5-flash' },
    ];
    const created = (await t.http.post('/api/v1/runs').set(t.auth).send({ campaign_id: campaignId, label: 'ünïcode "label"', providers, samples: 2, filters: { topic_ids: [topicId] } }).expect(201))
      .body as Record<string, unknown> & { id: string };
    const read = (await t.http.get(`/api/v1/runs/${created.id}`).set(t.auth).expect(200)).body as Record<string, unknown>;
    expect(read).toMatchObject({ id: created.id, label: 'ünïcode "label"', samples: 2, status: 'created', filters: { topic_ids: [topicId], persona_ids: [] } });
    expect(read.provider_settings).toEqual(created.provider_settings);
    expect((read.provider_settings as { settings: Record<string, unknown> }[])[0].settings).toEqual({ max_output_tokens: 500 });
    expect(read.created_at).toBe(created.created_at);

    const repo = t.app.get(RunRepository);
    const byId = await repo.findById(created.id);
    const listed = (await repo.list({ campaignId }, { limit: 10, offset: 0 })).items.find((r) => r.id === created.id);
    expect(byId).toEqual(listed);
    expect(byId?.createdAt).toBeInstanceOf(Date);
    expect(byId?.startedAt).toBeNull();
    expect(await repo.findById('00000000-0000-7000-8000-000000000000')).toBeNull();
  });
});
