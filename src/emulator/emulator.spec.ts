import { startEmulator, type EmulatorHandle } from './emulator';
import type { StatsSnapshot } from './stats';

/** The emulator in-process on port 0, driven over real HTTP with fetch. */

let emulator: EmulatorHandle;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, seed: 'spec' });
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(() => emulator.reset());

/** The parts of the wire formats these tests read. */
interface ApiError {
  error?: { message: string; type?: string; param?: string | null; code?: string | number | null; status?: string; problems?: string[] };
}
interface UrlCitation {
  type: string;
  start_index: number;
  end_index: number;
  url: string;
  title: string;
}
interface ResponsesItem {
  type: string;
  id?: string;
  status?: string;
  role?: string;
  action?: { type: string; query?: string; sources?: Array<{ type: string; url: string }> };
  content?: Array<{ type: string; text: string; annotations: UrlCitation[] }>;
  queries?: string[];
  results?: Array<{ id: number; url: string; title: string; snippet: string; source: string }>;
}
interface ResponsesBody extends ApiError {
  id: string;
  object: string;
  status: string;
  model: string;
  output: ResponsesItem[];
  usage: {
    input_tokens: number;
    output_tokens: number;
    total_tokens: number;
    input_tokens_details: { cached_tokens: number };
    output_tokens_details: { reasoning_tokens: number };
    cost: { currency: string; input_cost: number; output_cost: number; tool_calls_cost: number; total_cost: number };
    tool_calls_details: { web_search: { invocation: number } };
  };
}
interface GeminiBody extends ApiError {
  candidates: Array<{
    content?: { role: string; parts?: Array<{ text: string }> };
    finishReason: string;
    groundingMetadata?: {
      webSearchQueries: string[];
      searchEntryPoint: { renderedContent: string };
      groundingChunks: Array<{ web: { uri: string; title: string } }>;
      groundingSupports: Array<{ segment: { startIndex?: number; endIndex: number; partIndex?: number; text: string }; groundingChunkIndices: number[] }>;
    };
  }>;
  usageMetadata: { promptTokenCount: number; candidatesTokenCount?: number; toolUsePromptTokenCount?: number; thoughtsTokenCount?: number; totalTokenCount: number };
  modelVersion: string;
}

/** The first output item of a type; fails the test when there is none. */
function item(body: ResponsesBody, type: string): ResponsesItem {
  const found = body.output.find((o) => o.type === type);
  if (!found) throw new Error(`no ${type} item in ${JSON.stringify(body.output.map((o) => o.type))}`);
  return found;
}

function firstPart(body: ResponsesBody): { type: string; text: string; annotations: UrlCitation[] } {
  return item(body, 'message').content![0];
}

function candidate(body: GeminiBody): GeminiBody['candidates'][number] {
  return body.candidates[0];
}

interface Reply<T> {
  status: number;
  headers: Headers;
  text: string;
  json: T;
}

async function post<T = ApiError>(path: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Reply<T>> {
  const res = await fetch(`${emulator.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json: json as T };
}

const bearer = { authorization: 'Bearer test-key' };
const openaiBody = (input = 'What is the best CRM for small teams in Zürich?') => ({
  model: 'gpt-5-mini',
  input,
  tools: [{ type: 'web_search' }],
  include: ['web_search_call.action.sources'],
});
const openai = (body: unknown = openaiBody(), headers: Record<string, string> = {}, signal?: AbortSignal) =>
  post<ResponsesBody>('/openai/v1/responses', body, { ...bearer, ...headers }, signal);
const perplexity = (path = '/perplexity/v1/agent', headers: Record<string, string> = {}) =>
  post<ResponsesBody>(path, { model: 'perplexity/sonar', input: [{ role: 'user', content: 'Which CRM suits a café chain?' }] }, { ...bearer, ...headers });
const geminiBody = (text = 'Which CRM suits a café chain in Zürich?') => ({ contents: [{ role: 'user', parts: [{ text }] }], tools: [{ google_search: {} }] });
const gemini = (body: unknown = geminiBody(), headers: Record<string, string> = {}, model = 'gemini-2.5-flash') =>
  post<GeminiBody>(`/gemini/v1beta/models/${model}:generateContent`, body, { 'x-goog-api-key': 'test-key', ...headers });

describe('OpenAI Responses endpoint', () => {
  it('answers in the Responses shape with a search call, sources and url_citation annotations', async () => {
    const r = await openai();
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ object: 'response', status: 'completed', model: 'gpt-5-mini-2025-08-07' });
    expect(r.json.id).toMatch(/^resp_[0-9a-f]+$/);
    const output = r.json.output;
    const search = output.filter((o) => o.type === 'web_search_call');
    expect(search.length).toBeGreaterThan(0);
    expect(search[0]).toMatchObject({ status: 'completed', action: { type: 'search' } });
    expect(item(r.json, 'message')).toMatchObject({ role: 'assistant', status: 'completed' });
    const part = firstPart(r.json);
    expect(part.type).toBe('output_text');
    const sources = new Set(search.flatMap((s) => s.action!.sources!.map((x) => x.url)));
    expect(part.annotations.length).toBeGreaterThan(0);
    for (const a of part.annotations) {
      expect(a).toMatchObject({ type: 'url_citation' });
      expect(part.text.slice(a.start_index, a.end_index).length).toBeGreaterThan(0);
      expect(a.url).toContain('utm_source=openai');
      expect(sources.has(a.url.replace(/[?&]utm_source=openai$/, ''))).toBe(true);
    }
    const u = r.json.usage;
    expect(u.total_tokens).toBe(u.input_tokens + u.output_tokens);
    expect(u.output_tokens_details.reasoning_tokens).toBeGreaterThan(0);
    expect(u.input_tokens_details.cached_tokens).toBe(0);
  });

  it('lists sources only when asked to, and does not search without the tool', async () => {
    const noInclude = await openai({ ...openaiBody(), include: [] });
    expect(item(noInclude.json, 'web_search_call').action!.sources).toBeUndefined();
    const noTool = await openai({ model: 'gpt-4o', input: [{ role: 'user', content: [{ type: 'input_text', text: 'Best CRM?' }] }] });
    expect(noTool.status).toBe(200);
    expect(noTool.json.model).toBe('gpt-4o-2024-08-06');
    expect(noTool.json.output.map((o) => o.type)).toEqual(['message']);
    expect(firstPart(noTool.json).annotations).toEqual([]);
  });

  it('requires a bearer key and a known model, in OpenAI error shapes', async () => {
    const noKey = await post('/openai/v1/responses', openaiBody());
    expect(noKey.status).toBe(401);
    expect(noKey.json.error).toMatchObject({ type: 'invalid_request_error', param: null, code: null });
    const unknown = await openai({ ...openaiBody(), model: 'gpt-9' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatchObject({ code: 'model_not_found', type: 'invalid_request_error' });
    expect((await openai('{nope')).status).toBe(400);
    emulator.setConfig({ acceptAnyModel: true });
    const any = await openai({ ...openaiBody(), model: 'gpt-9' });
    expect(any.status).toBe(200);
    expect(any.json.model).toBe('gpt-9');
  });

  it('answers the same request with the same X-Emulator-Seed identically, and varies it otherwise', async () => {
    const textOf = (r: Reply<ResponsesBody>) => firstPart(r.json).text;
    const a = await openai(openaiBody(), { 'x-emulator-seed': 'sample-1' });
    const b = await openai(openaiBody(), { 'x-emulator-seed': 'sample-1' });
    expect(textOf(b)).toBe(textOf(a));
    const samples = await Promise.all(Array.from({ length: 8 }, () => openai()));
    expect(new Set(samples.map(textOf)).size).toBeGreaterThan(1);
  });
});

describe('Perplexity Agent endpoint', () => {
  it.each(['/perplexity/v1/agent', '/perplexity/v1/responses'])('%s answers with search_results, annotations and usage.cost', async (path) => {
    const r = await perplexity(path);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ object: 'response', status: 'completed', model: 'perplexity/sonar' });
    const results = item(r.json, 'search_results').results!;
    expect(results.length).toBeGreaterThan(0);
    expect(results[0]).toEqual(
      expect.objectContaining({ id: 1, url: expect.any(String), title: expect.any(String), snippet: expect.any(String), source: 'web' }),
    );
    const part = firstPart(r.json);
    const urls = new Set(results.map((x) => x.url));
    for (const a of part.annotations) {
      expect(urls.has(a.url)).toBe(true);
      expect(a.end_index).toBeGreaterThan(a.start_index);
    }
    const { cost } = r.json.usage;
    expect(cost.currency).toBe('USD');
    expect(cost.total_cost).toBeCloseTo(cost.input_cost + cost.output_cost + cost.tool_calls_cost, 6);
    expect(r.json.usage.tool_calls_details.web_search.invocation).toBeGreaterThan(0);
  });

  it('resolves a preset and rejects a missing key', async () => {
    const r = await post<ResponsesBody>('/perplexity/v1/agent', { preset: 'pro-search', input: 'Best CRM?' }, bearer);
    expect(r.json.model).toBe('perplexity/sonar-pro');
    const noKey = await post('/perplexity/v1/agent', { model: 'sonar', input: 'x' });
    expect(noKey.status).toBe(401);
    expect(noKey.json.error?.message).toEqual(expect.any(String));
  });
});

describe('Gemini generateContent endpoint', () => {
  it('gives segment offsets in UTF-8 bytes of the part text, on non-ASCII answers', async () => {
    let checked = 0;
    let nonAscii = 0;
    for (let i = 0; i < 25; i++) {
      const r = await gemini(geminiBody(`Which CRM suits a café chain in Zürich? (${i})`));
      expect(r.status).toBe(200);
      const c = candidate(r.json);
      const text = c.content!.parts![0].text;
      if (Buffer.byteLength(text) !== text.length) nonAscii++;
      const bytes = Buffer.from(text);
      for (const s of c.groundingMetadata!.groundingSupports) {
        const { startIndex = 0, endIndex } = s.segment;
        expect(s.segment.partIndex).toBeUndefined();
        expect(bytes.subarray(startIndex, endIndex).toString()).toBe(s.segment.text);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(nonAscii).toBe(25);
  });

  it('returns redirect chunks titled with the domain, one at least not cited, and resolves the redirect', async () => {
    const r = await gemini();
    const gm = candidate(r.json).groundingMetadata!;
    expect(gm.webSearchQueries.length).toBeGreaterThan(0);
    expect(gm.searchEntryPoint.renderedContent).toContain('<div');
    const referenced = new Set(gm.groundingSupports.flatMap((s) => s.groundingChunkIndices));
    expect(gm.groundingChunks.length).toBeGreaterThan(referenced.size);
    const chunk = gm.groundingChunks[0].web;
    expect(chunk.uri).toContain('/grounding-api-redirect/');
    expect(chunk.title).not.toMatch(/^www\./);
    const redirect = await fetch(chunk.uri, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(new URL(redirect.headers.get('location')!).hostname.replace(/^www\./, '')).toBe(chunk.title);
    const u = r.json.usageMetadata;
    expect(u.totalTokenCount).toBe(u.promptTokenCount + (u.candidatesTokenCount ?? 0) + (u.toolUsePromptTokenCount ?? 0) + (u.thoughtsTokenCount ?? 0));
    expect(r.json.modelVersion).toBe('gemini-2.5-flash');
  });

  it('accepts ?key=, and answers Google error shapes for a missing key and an unknown model', async () => {
    const byQuery = await post('/gemini/v1beta/models/gemini-2.0-flash:generateContent?key=abc', geminiBody());
    expect(byQuery.status).toBe(200);
    const noKey = await post('/gemini/v1beta/models/gemini-2.5-flash:generateContent', geminiBody());
    expect(noKey.status).toBe(403);
    expect(noKey.json.error).toMatchObject({ code: 403, status: 'PERMISSION_DENIED' });
    const unknown = await gemini(geminiBody(), {}, 'gemini-0.1');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatchObject({ code: 404, status: 'NOT_FOUND' });
  });
});

describe('faults', () => {
  it('forces a 429 with Retry-After in each provider shape', async () => {
    emulator.setConfig({ providers: { openai: { faults: { retryAfterSeconds: 7 } } } });
    const o = await openai(openaiBody(), { 'x-emulator-fault': '429' });
    expect(o.status).toBe(429);
    expect(o.headers.get('retry-after')).toBe('7');
    expect(o.json.error?.code).toBe('rate_limit_exceeded');
    const g = await gemini(geminiBody(), { 'x-emulator-fault': '429' });
    expect(g.status).toBe(429);
    expect(g.headers.get('retry-after')).toBe('1');
    expect(g.json.error).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED' });
    const p = await perplexity('/perplexity/v1/agent', { 'x-emulator-fault': '429' });
    expect(p.status).toBe(429);
  });

  it('forces 5xx, malformed JSON, refusals, empty answers and answers without citations', async () => {
    expect((await openai(openaiBody(), { 'x-emulator-fault': '503' })).status).toBe(503);
    expect((await gemini(geminiBody(), { 'x-emulator-fault': '500' })).json.error?.status).toBe('INTERNAL');

    const malformed = await perplexity('/perplexity/v1/agent', { 'x-emulator-fault': 'malformed' });
    expect(malformed.status).toBe(200);
    expect(() => {
      JSON.parse(malformed.text);
    }).toThrow();

    const refusal = await gemini(geminiBody(), { 'x-emulator-fault': 'refusal' });
    expect(candidate(refusal.json).content!.parts![0].text).toMatch(/can.t (help|assist)/);
    expect(candidate(refusal.json).groundingMetadata).toBeUndefined();

    const empty = await openai(openaiBody(), { 'x-emulator-fault': 'empty' });
    expect(empty.json.output.map((o) => o.type)).toContain('web_search_call');
    expect(empty.json.output.map((o) => o.type)).not.toContain('message');
    const emptyGemini = await gemini(geminiBody(), { 'x-emulator-fault': 'empty' });
    expect(candidate(emptyGemini.json).content?.parts).toBeUndefined();
    expect(['SAFETY', 'OTHER', 'STOP']).toContain(candidate(emptyGemini.json).finishReason);

    const plain = await openai(openaiBody(), { 'x-emulator-fault': 'nocitations' });
    expect(plain.json.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
    expect(firstPart(plain.json).annotations).toEqual([]);

    const bad = await openai(openaiBody(), { 'x-emulator-fault': 'teapot' });
    expect(bad.status).toBe(400);
  });

  it('holds a timeout until the client gives up, then frees it', async () => {
    await expect(openai(openaiBody(), { 'x-emulator-fault': 'timeout' }, AbortSignal.timeout(150))).rejects.toThrow();
    await waitFor(() => emulator.stats().providers.openai.byStatus.timeout === 1);
    expect(emulator.stats().providers.openai.held).toBe(0);
  });

  it('destroys a held socket after timeoutHoldMs when the client never gives up', async () => {
    emulator.setConfig({ providers: { gemini: { faults: { timeoutHoldMs: 100 } } } });
    await expect(gemini(geminiBody(), { 'x-emulator-fault': 'timeout' })).rejects.toThrow();
    await waitFor(() => emulator.stats().providers.gemini.held === 0);
  });

  it('draws configured faults reproducibly: the same requests get the same statuses after a reset', async () => {
    emulator.setConfig({ providers: { openai: { faults: { rate429: 0.3, rate5xx: 0.2, status5xx: 502 } } } });
    const run = async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) statuses.push((await openai(openaiBody(`question ${i % 10}`))).status);
      return statuses;
    };
    const first = await run();
    expect(new Set(first)).toEqual(new Set([200, 429, 502]));
    emulator.reset();
    emulator.setConfig({ providers: { openai: { faults: { rate429: 0.3, rate5xx: 0.2, status5xx: 502 } } } });
    expect(await run()).toEqual(first);
  });

  it('waits the configured latency', async () => {
    emulator.setConfig({ providers: { perplexity: { latencyMs: { min: 120, max: 160 } } } });
    const t0 = performance.now();
    expect((await perplexity()).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(110);
  });
});

describe('QPS ceiling and stats', () => {
  it('answers 429 above the ceiling and counts the violations and the busiest second', async () => {
    emulator.setConfig({ providers: { openai: { qps: 5 } } });
    const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => openai(openaiBody(`q${i}`))));
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
    const limited = replies.find((r) => r.status === 429)!;
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.json.error?.code).toBe('rate_limit_exceeded');
    const s = emulator.stats().providers.openai;
    expect(s).toMatchObject({ calls: 12, qpsViolations: 7, maxPerSecond: 12, byStatus: { '200': 5, '429': 7 } });
  });

  it('serves stats over HTTP, clears them with DELETE, and resets config with POST /__emulator/reset', async () => {
    await gemini();
    await gemini(geminiBody(), { 'x-emulator-fault': '503' });
    await post('/gemini/v1beta/models/gemini-2.5-flash:generateContent', geminiBody());
    const stats = (await (await fetch(`${emulator.url}/__emulator/stats`)).json()) as StatsSnapshot;
    expect(stats.providers.gemini).toMatchObject({ calls: 3, byStatus: { '200': 1, '403': 1, '503': 1 }, maxPerSecond: 3, qpsViolations: 0 });
    expect(stats.providers.openai.calls).toBe(0);
    expect(typeof stats.startedAt).toBe('string');

    await fetch(`${emulator.url}/__emulator/stats`, { method: 'DELETE' });
    expect(emulator.stats().providers.gemini.calls).toBe(0);

    const put = await fetch(`${emulator.url}/__emulator/config`, { method: 'PUT', body: JSON.stringify({ providers: { gemini: { faults: { rate5xx: 1 } } } }) });
    expect(put.status).toBe(200);
    expect((await gemini()).status).toBe(503);
    const invalid = await fetch(`${emulator.url}/__emulator/config`, { method: 'PUT', body: JSON.stringify({ providers: { gemini: { qps: -1 } } }) });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as ApiError).error?.problems).toEqual(['providers.gemini.qps: must be null or a number > 0']);

    expect((await fetch(`${emulator.url}/__emulator/reset`, { method: 'POST' })).status).toBe(200);
    expect((await gemini()).status).toBe(200);
    expect(emulator.stats().providers.gemini.calls).toBe(1);
    expect((await fetch(`${emulator.url}/__emulator/health`)).status).toBe(200);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
