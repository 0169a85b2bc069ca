import type { ProviderLimits } from '../src/core/config/app-config';
import { GeminiClient } from '../src/providers/clients/gemini.client';
import { OpenAiClient } from '../src/providers/clients/openai.client';
import { PerplexityClient } from '../src/providers/clients/perplexity.client';
import { buildPrompt } from '../src/providers/prompts';
import { ProviderError } from '../src/providers/provider.errors';
import * as rec from './fixtures/providers/recorded';
import { ReplayServer } from './helpers/replay-server';

const persona = { name: 'Agency owner', role: 'Founder', domain: 'marketing services', locale: 'en-US', tone: 'pragmatic' };
const prompt = buildPrompt('v1', { question: 'Which CRM should a 20-person agency pick?', persona, topic: null });
const limits = (baseUrl: string, over: Partial<ProviderLimits> = {}): ProviderLimits => ({ apiKey: 'sk-test-secret-123', baseUrl, qps: 5, burst: 5, concurrency: 1, timeoutMs: 2000, ...over });

/** The real clients against recorded provider bodies, served over HTTP. */
describe('provider clients against recorded responses', () => {
  const server = new ReplayServer();
  beforeAll(async () => {
    await server.start();
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(() => {
    server.requests.length = 0;
  });

  describe('OpenAI (Responses API)', () => {
    const client = (): OpenAiClient => new OpenAiClient(limits(`${server.url}/v1`));

    it('sends the prompt with the web_search tool and no secret in the recorded request', async () => {
      server.reply = { body: rec.openaiWebSearch };
      const c = client();
      const request = c.prepare({ provider: 'openai', model: 'gpt-5-mini', settings: { search_context_size: 'high', user_location: { country: 'DE', city: 'Berlin' } } }, prompt);
      const result = await c.invoke(request);
      const sent = server.requests[0];
      expect(sent.method).toBe('POST');
      expect(sent.path).toBe('/v1/responses');
      expect(sent.headers.authorization).toBe('Bearer sk-test-secret-123');
      expect(sent.body).toEqual({
        model: 'gpt-5-mini',
        input: 'Which CRM should a 20-person agency pick?',
        instructions: prompt.system,
        store: false,
        tools: [{ type: 'web_search', search_context_size: 'high', user_location: { type: 'approximate', country: 'DE', city: 'Berlin' } }],
        include: ['web_search_call.action.sources'],
      });
      expect(JSON.stringify(result.raw_request)).not.toContain('sk-test-secret-123');
      expect(result.raw_request).toEqual({ path: '/responses', body: sent.body });
    });

    it('normalizes text, citations (first span per URL, in order), sources, queries, usage and cost', async () => {
      server.reply = { body: rec.openaiWebSearch };
      const c = client();
      const result = await c.invoke(c.prepare({ provider: 'openai', model: 'gpt-5-mini' }, prompt));
      expect(result).toMatchObject({
        provider: 'openai',
        text: rec.OPENAI_TEXT,
        search_queries: ['best CRM for small agencies 2026'],
        requested_model: 'gpt-5-mini',
        served_model: 'gpt-5-mini-2025-08-07',
        finish_reason: 'completed',
        prompt_version: 'v1',
        prompt_hash: prompt.hash,
        cost_source: 'price_table',
        price_table_version: '2026-11-01',
      });
      expect(result.citations).toEqual([
        { url: 'https://www.acme.example/pricing', title: 'Acme CRM pricing', domain: 'acme.example', position: 1, cited_text: 'Acme CRM is the usual pick' },
        { url: 'https://globex.example/teams', title: 'Globex for teams', domain: 'globex.example', position: 2, cited_text: 'Globex CRM suits larger sales teams' },
        { url: 'https://www.g2.com/categories/crm', title: 'Best CRM Software | G2', domain: 'g2.com', position: 3, cited_text: 'reviewers rate Acme highly' },
      ]);
      expect(result.sources).toEqual([{ url: 'https://unused.example/post', title: null, domain: 'unused.example' }]);
      expect(result.usage).toEqual({ input_tokens: 1830, output_tokens: 640, cached_input_tokens: 512, reasoning_tokens: 384, search_calls: 1, total_tokens: 2470 });
      // (1,830 − 512) × 0.25/1M + 512 × 0.025/1M + 640 × 2/1M + 1 search × 0.01 = 0.0003295 + 0.0000128 + 0.00128 + 0.01
      expect(result.cost_usd).toBeCloseTo(0.0116223, 10);
      expect(result.latency_ms).toBeGreaterThanOrEqual(0);
      expect(result.raw_response).toEqual(rec.openaiWebSearch);
    });

    it('handles no citations, search-only output and refusals, and no tool when web_search is off', async () => {
      const c = client();
      server.reply = { body: rec.openaiNoCitations };
      const plain = await c.invoke(c.prepare({ provider: 'openai', model: 'gpt-4o', settings: { web_search: false } }, prompt));
      expect((server.requests[0].body as { tools?: unknown }).tools).toBeUndefined();
      expect(plain).toMatchObject({ text: 'It depends on your budget.', citations: [], sources: [], search_queries: [], served_model: 'gpt-4o-2024-08-06' });
      expect(plain.usage.search_calls).toBe(0);

      server.reply = { body: rec.openaiSearchOnly };
      const searchOnly = await c.invoke(c.prepare({ provider: 'openai', model: 'gpt-5' }, prompt));
      expect(searchOnly).toMatchObject({ text: '', citations: [], finish_reason: 'empty', search_queries: ['crm pricing'] });
      expect(searchOnly.sources).toEqual([{ url: 'https://capterra.example/crm', title: null, domain: 'capterra.example' }]);

      server.reply = { body: rec.openaiRefusal };
      const refusal = await c.invoke(c.prepare({ provider: 'openai', model: 'gpt-5-mini' }, prompt));
      expect(refusal).toMatchObject({ text: '', citations: [], finish_reason: 'refused' });
    });

    it('prices an unknown model as null', async () => {
      server.reply = { body: rec.openaiNoCitations };
      const warned: string[] = [];
      const c = new OpenAiClient(limits(`${server.url}/v1`), (p, m) => warned.push(`${p}/${m}`));
      const result = await c.invoke(c.prepare({ provider: 'openai', model: 'my-local-model' }, prompt));
      expect(result).toMatchObject({ cost_usd: null, cost_source: 'unknown' });
      expect(warned).toEqual(['openai/my-local-model']);
    });
  });

  describe('Perplexity (Agent API)', () => {
    it('posts to /v1/agent and takes citations, search results and the reported cost', async () => {
      server.reply = { body: rec.perplexityAgent };
      const c = new PerplexityClient(limits(`${server.url}/v1`));
      const result = await c.invoke(c.prepare({ provider: 'perplexity', model: 'perplexity/sonar', settings: { preset: 'pro-search' } }, prompt));
      expect(server.requests[0].path).toBe('/v1/agent');
      expect(server.requests[0].body).toMatchObject({ model: 'perplexity/sonar', input: prompt.user, instructions: prompt.system, preset: 'pro-search', tools: [{ type: 'web_search' }] });
      expect(result.text).toBe(rec.PPLX_TEXT);
      expect(result.citations).toEqual([
        { url: 'https://acme.example/', title: 'Acme CRM', domain: 'acme.example', position: 1, cited_text: 'Acme CRM' },
        { url: 'https://initech.example/crm', title: 'Initech CRM', domain: 'initech.example', position: 2, cited_text: 'Initech [1][2]' },
      ]);
      expect(result.sources).toEqual([{ url: 'https://news.example/crm-roundup', title: 'CRM roundup', domain: 'news.example' }]);
      expect(result.search_queries).toEqual(['best crm for agencies']);
      expect(result).toMatchObject({ cost_usd: 0.00518, cost_source: 'provider', price_table_version: null, served_model: 'perplexity/sonar' });
      expect(result.usage).toMatchObject({ input_tokens: 120, output_tokens: 60, search_calls: 1 });
    });

    it('handles an answer without citations or search results', async () => {
      server.reply = {
        body: {
          id: 'resp_pplx_2',
          object: 'response',
          status: 'completed',
          model: 'perplexity/sonar-pro',
          output: [{ type: 'message', id: 'm', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'No sources needed.', annotations: [] }] }],
          usage: { input_tokens: 10, output_tokens: 4, total_tokens: 14, cost: { currency: 'USD', input_cost: 0.00003, output_cost: 0.00006, total_cost: 0.00009 } },
        },
      };
      const c = new PerplexityClient(limits(`${server.url}/v1`));
      const result = await c.invoke(c.prepare({ provider: 'perplexity', model: 'perplexity/sonar-pro', settings: { web_search: false } }, prompt));
      expect((server.requests[0].body as { tools?: unknown }).tools).toBeUndefined();
      expect(result).toMatchObject({ text: 'No sources needed.', citations: [], sources: [], search_queries: [], cost_usd: 0.00009, served_model: 'perplexity/sonar-pro' });
      expect(result.usage.search_calls).toBe(0);
    });

    it('prices from the table when Perplexity reports no cost', async () => {
      server.reply = { body: { ...rec.perplexityAgent, usage: { input_tokens: 500, output_tokens: 300 } } };
      const c = new PerplexityClient(limits(`${server.url}/v1`));
      const result = await c.invoke(c.prepare({ provider: 'perplexity', model: 'perplexity/sonar' }, prompt));
      expect(result).toMatchObject({ cost_usd: 0.0088, cost_source: 'price_table' });
    });
  });

  describe('Gemini (generateContent with google_search)', () => {
    const client = (over: Partial<ProviderLimits> = {}): GeminiClient => new GeminiClient(limits(server.url, over));

    it('sends the key in a header, the persona as system instruction and the google_search tool', async () => {
      server.reply = { body: rec.geminiGrounded };
      const c = client();
      const result = await c.invoke(c.prepare({ provider: 'gemini', model: 'gemini-2.5-flash' }, prompt));
      const sent = server.requests[0];
      expect(sent.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
      expect(sent.headers['x-goog-api-key']).toBe('sk-test-secret-123');
      expect(sent.body).toEqual({
        contents: [{ role: 'user', parts: [{ text: prompt.user }] }],
        systemInstruction: { parts: [{ text: prompt.system }] },
        tools: [{ google_search: {} }],
      });
      expect(JSON.stringify(result.raw_request)).not.toContain('sk-test-secret-123');
    });

    it('cites only the chunks that supports reference, in text order, with cited text from UTF-8 byte offsets', async () => {
      server.reply = { body: rec.geminiGrounded };
      const c = client();
      const result = await c.invoke(c.prepare({ provider: 'gemini', model: 'gemini-2.5-flash' }, prompt));
      expect(result.text).toBe(rec.GEMINI_TEXT);
      expect(result.citations).toEqual([
        { url: 'https://vertexaisearch.cloud.google.com/grounding-api-redirect/AAA', title: 'acme.example', domain: 'acme.example', position: 1, cited_text: rec.GEMINI_SEGMENTS.acme },
        { url: 'https://vertexaisearch.cloud.google.com/grounding-api-redirect/CCC', title: 'globex.example', domain: 'globex.example', position: 2, cited_text: rec.GEMINI_SEGMENTS.acme },
      ]);
      expect(result.sources).toEqual([{ url: 'https://vertexaisearch.cloud.google.com/grounding-api-redirect/BBB', title: 'unreferenced.example', domain: 'unreferenced.example' }]);
      expect(result.search_queries).toEqual(['best crm zürich', 'acme crm reviews']);
      expect(result.usage).toEqual({ input_tokens: 162, output_tokens: 70, cached_input_tokens: null, reasoning_tokens: 30, search_calls: 1, total_tokens: 232 });
      // 162 × 0.3/1M + 70 × 2.5/1M + 1 grounded prompt × 0.035
      expect(result.cost_usd).toBeCloseTo(0.0000486 + 0.000175 + 0.035, 10);
      expect(result).toMatchObject({ served_model: 'gemini-2.5-flash', finish_reason: 'stop', cost_source: 'price_table' });
    });

    it('reads the byte offsets when the segment has no text of its own', async () => {
      const globexOnly = structuredClone(rec.geminiGrounded);
      globexOnly.candidates[0].groundingMetadata.groundingSupports = [globexOnly.candidates[0].groundingMetadata.groundingSupports[0]];
      server.reply = { body: globexOnly };
      const c = client();
      const result = await c.invoke(c.prepare({ provider: 'gemini', model: 'gemini-2.5-flash' }, prompt));
      expect(result.citations).toEqual([expect.objectContaining({ domain: 'globex.example', cited_text: rec.GEMINI_SEGMENTS.globex })]);
    });

    it('handles safety stops, blocked prompts and answers without grounding', async () => {
      const c = client();
      server.reply = { body: rec.geminiSafety };
      expect(await c.invoke(c.prepare({ provider: 'gemini', model: 'gemini-2.5-flash' }, prompt))).toMatchObject({ text: '', citations: [], finish_reason: 'safety' });
      server.reply = { body: rec.geminiBlocked };
      expect(await c.invoke(c.prepare({ provider: 'gemini', model: 'gemini-2.5-pro' }, prompt))).toMatchObject({ text: '', finish_reason: 'blocked:SAFETY' });
      server.reply = { body: rec.geminiUngrounded };
      const plain = await c.invoke(c.prepare({ provider: 'gemini', model: 'gemini-2.5-flash-lite', settings: { google_search: false } }, prompt));
      expect((server.requests.at(-1)!.body as { tools?: unknown }).tools).toBeUndefined();
      // Not grounded: no per-prompt grounding fee. 8 × 0.1/1M + 5 × 0.4/1M
      expect(plain).toMatchObject({ text: 'No search was needed.', citations: [], search_queries: [], cost_usd: 0.0000028 });
    });
  });

  describe('faults, classified', () => {
    const cases: [string, () => Promise<unknown>, string, boolean][] = [];
    const openai = (): OpenAiClient => new OpenAiClient(limits(`${server.url}/v1`, { timeoutMs: 300 }));
    const gemini = (): GeminiClient => new GeminiClient(limits(server.url, { timeoutMs: 300 }));
    const callOpenai = async () => openai().invoke(openai().prepare({ provider: 'openai', model: 'gpt-5-mini' }, prompt));
    const callGemini = async () => gemini().invoke(gemini().prepare({ provider: 'gemini', model: 'gemini-2.5-flash' }, prompt));
    cases.push(['openai', callOpenai, '', false], ['gemini', callGemini, '', false]);

    it.each([
      ['429 with Retry-After', { status: 429, headers: { 'retry-after': '7' }, body: { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } } }, 'rate_limited', true, 7000],
      ['503', { status: 503, body: { error: { message: 'overloaded' } } }, 'server_error', true, undefined],
      ['500 with text', { status: 500, headers: { 'Content-Type': 'text/plain' }, body: 'boom' }, 'server_error', true, undefined],
      ['400', { status: 400, body: { error: { message: 'Invalid parameter', type: 'invalid_request_error' } } }, 'bad_request', false, undefined],
      ['401', { status: 401, body: { error: { message: 'Incorrect API key' } } }, 'unauthorized', false, undefined],
      ['404 unknown model', { status: 404, body: { error: { message: 'The model `gpt-9` does not exist', code: 'model_not_found' } } }, 'unknown_model', false, undefined],
      ['malformed JSON', { status: 200, body: '{"id": "resp_1", "output": [' }, 'malformed_response', true, undefined],
      ['200 of the wrong shape', { status: 200, body: { hello: 'world' } }, 'malformed_response', true, undefined],
      ['timeout', { status: 200, body: rec.openaiWebSearch, delayMs: 1500 }, 'timeout', true, undefined],
    ] as const)('OpenAI: %s', async (_name, reply, code, retryable, retryAfter) => {
      server.reply = reply;
      const err = await callOpenai().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProviderError);
      expect(err).toMatchObject({ code, retryable, retryAfterMs: retryAfter });
    });

    it.each([
      ['429 with Retry-After date', { status: 429, headers: { 'retry-after': new Date(Date.now() + 5000).toUTCString() }, body: { error: { code: 429, message: 'Resource exhausted', status: 'RESOURCE_EXHAUSTED' } } }, 'rate_limited', true],
      ['500', { status: 500, body: { error: { code: 500, message: 'Internal', status: 'INTERNAL' } } }, 'server_error', true],
      ['403', { status: 403, body: { error: { code: 403, message: 'denied', status: 'PERMISSION_DENIED' } } }, 'forbidden', false],
      ['404 model', { status: 404, body: { error: { code: 404, message: 'models/gemini-9 is not found', status: 'NOT_FOUND' } } }, 'unknown_model', false],
      ['malformed JSON', { status: 200, body: '{"candidates": [' }, 'malformed_response', true],
      ['no candidates', { status: 200, body: { usageMetadata: {} } }, 'malformed_response', true],
      ['timeout', { status: 200, body: rec.geminiGrounded, delayMs: 1500 }, 'timeout', true],
    ] as const)('Gemini: %s', async (_name, reply, code, retryable) => {
      server.reply = reply;
      const err = await callGemini().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProviderError);
      expect(err).toMatchObject({ code, retryable });
      if (code === 'rate_limited') expect((err as ProviderError).retryAfterMs).toBeGreaterThan(3000);
    });

    it('refuses to call a provider without a key, permanently', async () => {
      const c = new OpenAiClient(limits(`${server.url}/v1`, { apiKey: undefined }));
      await expect(c.invoke(c.prepare({ provider: 'openai', model: 'gpt-5' }, prompt))).rejects.toMatchObject({ code: 'not_configured', retryable: false });
      expect(server.requests).toHaveLength(0);
    });

    it('a connection refused is retryable', async () => {
      const c = new OpenAiClient(limits('http://127.0.0.1:9/v1'));
      await expect(c.invoke(c.prepare({ provider: 'openai', model: 'gpt-5' }, prompt))).rejects.toMatchObject({ code: 'connection', retryable: true });
      const g = new GeminiClient(limits('http://127.0.0.1:9'));
      await expect(g.invoke(g.prepare({ provider: 'gemini', model: 'gemini-2.5-flash' }, prompt))).rejects.toMatchObject({ code: 'connection', retryable: true });
    });
  });
});

describe('ProvidersService: the circuit breaker around real calls', () => {
  const server = new ReplayServer();
  beforeAll(async () => {
    await server.start();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('opens after consecutive retryable failures (no call goes out), half-opens after the cool-down, closes on success', async () => {
    const { ProvidersService } = await import('../src/providers/providers.service');
    const { loadAppConfig } = await import('../src/core/config/app-config');
    const config = loadAppConfig({
      API_KEYS: 'breaker-test-key',
      DATABASE_URL: 'postgres://unused/none',
      OPENAI_API_KEY: 'sk-breaker',
      OPENAI_BASE_URL: `${server.url}/v1`,
      PROVIDER_BREAKER_FAILURES: '3',
      PROVIDER_BREAKER_COOLDOWN_MS: '300',
    });
    const providers = new ProvidersService(config);
    const request = providers.prepare({ provider: 'openai', model: 'gpt-5-mini' }, { question: 'Q?', persona: null, topic: null }, 'v1');

    server.reply = { status: 400, body: { error: { message: 'bad' } } };
    for (let i = 0; i < 5; i++) await expect(providers.invoke(request)).rejects.toMatchObject({ code: 'bad_request' });
    expect(providers.circuit('openai').state).toBe('closed'); // permanent errors say nothing about health

    server.reply = { status: 503, body: { error: { message: 'down' } } };
    for (let i = 0; i < 3; i++) await expect(providers.invoke(request)).rejects.toMatchObject({ code: 'server_error' });
    expect(providers.circuit('openai')).toMatchObject({ state: 'open', consecutiveFailures: 3 });
    const calls = server.requests.length;
    const open = await providers.invoke(request).catch((e: unknown) => e);
    expect(open).toMatchObject({ code: 'circuit_open', retryable: true });
    expect((open as ProviderError).retryAfterMs).toBeLessThanOrEqual(300);
    expect(server.requests.length).toBe(calls);
    expect(providers.circuit('gemini').state).toBe('closed'); // one breaker per provider

    await new Promise((r) => setTimeout(r, 320));
    expect(providers.circuit('openai').state).toBe('half_open');
    server.reply = { body: rec.openaiNoCitations };
    await expect(providers.invoke(request)).resolves.toMatchObject({ text: 'It depends on your budget.' });
    expect(providers.circuit('openai')).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });

  it('validates provider settings and refuses unknown prompt versions', async () => {
    const { ProvidersService } = await import('../src/providers/providers.service');
    const { loadAppConfig } = await import('../src/core/config/app-config');
    const providers = new ProvidersService(loadAppConfig({ API_KEYS: 'validate-test-key', DATABASE_URL: 'postgres://unused/none' }));
    expect(providers.validate({ provider: 'openai', model: 'gpt-5-mini', settings: { web_search: true, search_context_size: 'high' } })).toEqual([]);
    expect(providers.validate({ provider: 'bing', model: 'x' })).toEqual(['provider must be one of openai, gemini, perplexity']);
    expect(providers.validate({ provider: 'openai', model: '', settings: { web_search: 'yes', turbo: 1 } })).toEqual([
      'model must be a model id such as gpt-5-mini',
      'unknown setting "turbo"',
      'web_search must be true or false',
    ]);
    expect(providers.validate({ provider: 'gemini', model: 'gemini-2.5-flash', settings: { resolve_redirects: true } })).toEqual([]);
    expect(providers.validate({ provider: 'perplexity', model: 'perplexity/sonar', settings: { preset: 'Bad Preset!' } })).toEqual(['preset must be a preset name such as pro-search']);
    expect(() => providers.prepare({ provider: 'openai', model: 'gpt-5' }, { question: 'Q', persona: null, topic: null }, 'v99')).toThrow(/unknown prompt version/);
  });
});
