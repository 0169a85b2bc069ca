import { randomUUID } from 'node:crypto';
import { expectProblem } from './helpers/problem';
import { createTestApp, TestApp } from './helpers/test-app';

interface Operation {
  security?: unknown[];
  responses: Record<string, unknown>;
  operationId?: string;
}
type OpenApi = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };

const OPEN_PATHS = ['/healthz', '/readyz', '/metrics'];

describe('OpenAPI document and the API-key guard', () => {
  let t: TestApp;
  let doc: OpenApi;

  beforeAll(async () => {
    t = await createTestApp(__filename);
    doc = (await t.http.get('/docs-json').expect(200)).body as OpenApi;
  });
  afterAll(async () => {
    await t?.close();
  });

  const operations = (): [string, string, Operation][] =>
    Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => [path, method, op] as [string, string, Operation]));

  it('serves Swagger UI at /docs without a key', async () => {
    const res = await t.http.get('/docs').redirects(1).expect(200);
    expect(res.text).toMatch(/swagger-ui/i);
  });

  it('describes the catalogue routes and their DTOs', () => {
    const paths = Object.keys(doc.paths);
    for (const p of ['/api/v1/campaigns', '/api/v1/campaigns/{id}', '/api/v1/campaigns/{id}/topics', '/api/v1/campaigns/{id}/questions', '/api/v1/personas', '/healthz', '/readyz']) {
      expect(paths).toContain(p);
    }
    for (const s of ['CreateCampaignDto', 'CampaignDto', 'CompetitorDto', 'TopicDto', 'PersonaDto', 'QuestionDto', 'ProblemDetailsDto', 'PageOfCampaign']) {
      expect(Object.keys(doc.components.schemas)).toContain(s);
    }
  });

  it('documents the ingest routes: the multipart upload, the streamed import and every answer shape', () => {
    const ingest = doc.paths['/api/v1/questions:ingest'].post as unknown as { requestBody: { content: Record<string, unknown> } };
    expect(Object.keys(ingest.requestBody.content)).toEqual(['multipart/form-data']);
    const importOp = doc.paths['/api/v1/question-sets:import'].post as unknown as { requestBody: { content: Record<string, unknown> } };
    expect(Object.keys(importOp.requestBody.content)).toEqual(expect.arrayContaining(['application/json', 'application/x-ndjson']));
    for (const p of ['/api/v1/question-sets:generate', '/api/v1/question-templates', '/api/v1/mapping-profiles', '/api/v1/mapping-profiles/{name}']) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
    for (const s of ['IngestUploadDto', 'IngestResultDto', 'IngestDryRunDto', 'ImportItemDto', 'ImportResultDto', 'GenerateQuestionsDto', 'GenerateResultDto', 'MappingProfileDto', 'NormalizedRowDto']) {
      expect(Object.keys(doc.components.schemas)).toContain(s);
    }
  });

  it('documents the problem answers (401 and 500 at least) of every /api/v1 route', () => {
    for (const [path, method, op] of operations()) {
      if (!path.startsWith('/api/v1/')) continue;
      expect([`${method} ${path}`, Object.keys(op.responses)]).toEqual([`${method} ${path}`, expect.arrayContaining(['401', '500'])]);
    }
  });

  it('refuses every /api/v1 route in the document without a valid key, with a problem-details 401', async () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(15);
    for (const [path, method] of ops) {
      const url = path.replace(/\{[^}]+\}/g, () => randomUUID());
      if (OPEN_PATHS.includes(path)) continue;
      expect(path.startsWith('/api/v1/')).toBe(true);
      for (const headers of [{}, { 'X-API-Key': 'not-a-valid-key' }, { Authorization: 'Bearer not-a-valid-key' }]) {
        const res = await t.http[method as 'get'](url).set(headers).send({});
        expectProblem(res, 401, 'unauthorized');
      }
    }
  });

  it('opens only the probes, and says so in the document', async () => {
    for (const [path, , op] of operations()) {
      if (!path.startsWith('/api/v1/')) {
        expect(OPEN_PATHS).toContain(path);
        expect(op.security).toEqual([]);
      }
    }
    await t.http.get('/healthz').expect(200);
    await t.http.get('/readyz').expect(200);
  });
});
