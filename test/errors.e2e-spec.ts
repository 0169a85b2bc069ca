import { Logger } from '@nestjs/common';
import * as XLSX from 'xlsx';
import { randomUUID } from 'node:crypto';
import { campaignBody } from './factories/catalogue';
import { expectProblem } from './helpers/problem';
import { adminQuery } from './helpers/schema';
import { createTestApp, TestApp } from './helpers/test-app';

/** A small deterministic generator (mulberry32), so that a failing case can be replayed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function garbage(r: () => number, depth = 0): unknown {
  const pick = Math.floor(r() * 14);
  switch (pick) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return Math.floor(r() * 2 ** 53) * (r() < 0.5 ? -1 : 1);
    case 3: return r() * 1e308;
    case 4: return '';
    case 5: return 'x'.repeat(Math.floor(r() * 400));
    case 6: return '\u0000\uFFFF\uD800 ☃ 🙂 \u202E';
    case 7: return "'; DROP TABLE campaigns; --";
    case 8: return randomUUID();
    case 9: return 'not-a-uuid';
    case 10: return depth > 2 ? [] : Array.from({ length: Math.floor(r() * 4) }, () => garbage(r, depth + 1));
    case 11: return depth > 2 ? {} : { name: garbage(r, depth + 1), aliases: garbage(r, depth + 1), domains: garbage(r, depth + 1) };
    case 12: return JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}');
    default: return 'https://www.example.com/path';
  }
}

describe('unexpected errors and generated garbage', () => {
  let t: TestApp;
  beforeAll(async () => {
    // A provider key, so that a run can be created (nothing calls it: no worker runs here).
    t = await createTestApp(__filename, { env: { OPENAI_API_KEY: 'fuzz-key-not-used' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers an unexpected failure with a generic 500 problem and logs it with its stack', async () => {
    const spy = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    await adminQuery(`ALTER TABLE "${t.schema}"."personas" RENAME TO personas_gone`);
    try {
      const res = await t.http.get('/api/v1/personas').set(t.auth);
      const problem = expectProblem(res, 500, 'internal_error');
      expect(String(problem.detail)).not.toMatch(/personas|relation|SELECT/i);
      const logged = spy.mock.calls.find(([arg]) => typeof arg === 'object' && arg !== null && 'err' in arg);
      expect(logged).toBeDefined();
      const err = (logged![0] as { err: Error }).err;
      expect(err.stack).toMatch(/personas/);
    } finally {
      await adminQuery(`ALTER TABLE "${t.schema}"."personas_gone" RENAME TO personas`);
      spy.mockRestore();
    }
  });

  it('never answers a 5xx to generated garbage on any catalogue, ingest or runs route, and pollutes nothing', async () => {
    const r = rng(Number(process.env.FUZZ_SEED ?? 20261123));
    const campaign = (await t.http.post('/api/v1/campaigns').set(t.auth).send(campaignBody()).expect(201)).body as { id: string };
    const topic = (await t.http.post(`/api/v1/campaigns/${campaign.id}/topics`).set(t.auth).send({ title: 'T' }).expect(201)).body as { id: string };
    const runId = ((await t.http.post('/api/v1/runs').set(t.auth).send({ campaign_id: campaign.id, providers: [{ provider: 'openai', model: 'gpt-5-mini' }] }).expect(201)).body as { id: string }).id;
    const routes: [string, string][] = [
      ['post', '/api/v1/campaigns'],
      ['patch', `/api/v1/campaigns/${campaign.id}`],
      ['post', `/api/v1/campaigns/${campaign.id}/topics`],
      ['patch', `/api/v1/campaigns/${campaign.id}/topics/${topic.id}`],
      ['post', '/api/v1/personas'],
      ['post', `/api/v1/campaigns/${campaign.id}/questions`],
      ['get', `/api/v1/campaigns/${campaign.id}/questions`],
      ['get', '/api/v1/campaigns'],
      ['post', '/api/v1/question-sets:import'],
      ['post', '/api/v1/question-sets:generate'],
      ['post', '/api/v1/mapping-profiles'],
      ['post', '/api/v1/runs'],
      ['get', '/api/v1/runs'],
      ['get', `/api/v1/runs/${runId}/items`],
      ['post', `/api/v1/runs/${runId}/cancel`],
      ['post', `/api/v1/runs/${randomUUID()}/start`],
      ['post', `/api/v1/campaigns/${campaign.id}/schedules`],
      ['get', `/api/v1/campaigns/${campaign.id}/schedules`],
    ];
    const fields = ['campaign', 'topic', 'persona', 'question', 'campaign_id', 'template', 'topic_ids', 'persona_ids', 'mapping', 'name', 'product_name', 'brand_aliases', 'brand_domains', 'competitors', 'title', 'description', 'role', 'locale', 'extra', 'text', 'topic_id', 'persona_id', 'metadata', 'limit', 'offset', 'providers', 'samples', 'prompt_version', 'filters', 'label', 'cron', 'timezone', 'run', 'status', 'provider', 'mentioned', 'q'];
    for (let i = 0; i < Number(process.env.FUZZ_CASES ?? 300); i++) {
      const [method, path] = routes[i % routes.length];
      const body: Record<string, unknown> = {};
      for (const f of fields) if (r() < 0.3) body[f] = garbage(r);
      let res;
      if (method === 'get') {
        // Buffer round trip: a lone surrogate becomes U+FFFD, which encodeURIComponent accepts.
        const enc = (v: unknown): string => encodeURIComponent(Buffer.from(typeof v === 'string' ? v : String(JSON.stringify(v))).toString());
        const qs = Object.entries(body).map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
        res = await t.http.get(`${path}?${qs}`).set(t.auth);
      } else {
        const raw = r() < 0.1 ? JSON.stringify(body).slice(0, Math.floor(r() * 20)) : JSON.stringify(r() < 0.1 ? garbage(r) : body);
        res = await t.http[method as 'post'](path).set(t.auth).set('Content-Type', 'application/json').send(raw);
      }
      if (res.status >= 500) throw new Error(`case ${i}: ${method} ${path} ${JSON.stringify(body)} → ${res.status} ${res.text}`);
      if (res.status >= 400) expectProblem(res, res.status);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Uploads: random bytes, truncated workbooks and CSV-ish noise under every extension.
    const validXlsx = XLSX.write(
      (() => {
        const b = XLSX.utils.book_new();
        XLSX.utils.book_append_sheet(b, XLSX.utils.aoa_to_sheet([['Question'], ['Q?']]), 'S');
        return b;
      })(),
      { type: 'buffer', bookType: 'xlsx' },
    ) as Buffer;
    for (let i = 0; i < Number(process.env.FUZZ_UPLOADS ?? 60); i++) {
      const kind = i % 4;
      const size = Math.floor(r() * 5000);
      const bytes =
        kind === 0
          ? Buffer.from(Array.from({ length: size }, () => Math.floor(r() * 256)))
          : kind === 1
            ? validXlsx.subarray(0, Math.floor(r() * validXlsx.length))
            : kind === 2
              ? Buffer.from(Array.from({ length: size }, () => ',;\t"\r\nQuestion ab'[Math.floor(r() * 16)]).join(''))
              : Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.from(Array.from({ length: size }, () => Math.floor(r() * 256)))]);
      const ext = ['csv', 'xlsx', 'xls', 'ods', 'tsv', 'txt', 'bin'][Math.floor(r() * 7)];
      const res = await t.http
        .post('/api/v1/questions:ingest')
        .set(t.auth)
        .field('campaign_id', campaign.id)
        .field('dry_run', r() < 0.5 ? 'true' : 'false')
        .attach('file', bytes, `fuzz.${ext}`);
      if (res.status >= 500) throw new Error(`upload ${i} (${ext}, kind ${kind}, ${bytes.length} bytes) → ${res.status} ${res.text}`);
    }
    for (const path of ['/api/v1/campaigns/%00', '/api/v1/campaigns/..%2f..%2fetc', `/api/v1/campaigns/${'9'.repeat(5000)}`, '/api/v1/personas/%E0%A4%A']) {
      const res = await t.http.get(path).set(t.auth);
      expect(res.status).toBeLessThan(500);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
  });
});
