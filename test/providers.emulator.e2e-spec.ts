import type { ProviderLimits, ProviderName } from '../src/core/config/app-config';
import { loadAppConfig } from '../src/core/config/app-config';
import { startEmulator, type EmulatorHandle } from '../src/emulator/emulator';
import { GeminiClient } from '../src/providers/clients/gemini.client';
import { OpenAiClient } from '../src/providers/clients/openai.client';
import { PerplexityClient } from '../src/providers/clients/perplexity.client';
import { buildPrompt } from '../src/providers/prompts';
import type { ProviderClient } from '../src/providers/provider-client';
import { ProviderError } from '../src/providers/provider.errors';
import { ProvidersService } from '../src/providers/providers.service';

const MODELS: Record<ProviderName, string> = { openai: 'gpt-5-mini', perplexity: 'perplexity/sonar', gemini: 'gemini-2.5-flash' };
const BRAND_DOMAINS = ['acme.example', 'globex.example', 'initech.example', 'umbrella.example'];
const questions = Array.from({ length: 25 }, (_, i) => `Which CRM should a team of ${i + 3} people in café number ${i} pick?`);

/** The real clients against the emulator over HTTP: every normalized field, and every fault class. */
describe('provider clients against the emulator', () => {
  let emu: EmulatorHandle;
  const limits = (p: ProviderName, over: Partial<ProviderLimits> = {}): ProviderLimits => ({
    apiKey: 'emulator-key',
    baseUrl: emu.baseUrls[p],
    qps: 100,
    burst: 100,
    concurrency: 10,
    timeoutMs: 5000,
    ...over,
  });
  const clientFor = (p: ProviderName, over: Partial<ProviderLimits> = {}): ProviderClient =>
    p === 'openai' ? new OpenAiClient(limits(p, over)) : p === 'perplexity' ? new PerplexityClient(limits(p, over)) : new GeminiClient(limits(p, over));
  const ask = (c: ProviderClient, p: ProviderName, question: string, settings: Record<string, unknown> = {}) =>
    c.invoke(c.prepare({ provider: p, model: MODELS[p], settings }, buildPrompt('v1', { question, persona: { name: 'Owner', role: 'Founder', domain: 'agencies', locale: 'en-US', tone: null }, topic: null })));

  beforeAll(async () => {
    emu = await startEmulator({ port: 0, seed: 'contract' });
  });
  afterAll(async () => {
    await emu.close();
  });
  beforeEach(() => {
    emu.reset();
  });

  it.each(['openai', 'perplexity', 'gemini'] as const)('%s: answers carry text, consistent citations, usage, cost and the served model', async (p) => {
    const client = clientFor(p);
    let mentioned = 0;
    let citedBrand = 0;
    for (const q of questions) {
      const r = await ask(client, p, q);
      expect(r.provider).toBe(p);
      expect(r.requested_model).toBe(MODELS[p]);
      expect(r.served_model).toEqual(expect.any(String));
      expect(r.usage.input_tokens).toBeGreaterThan(0);
      expect(r.cost_usd).toBeGreaterThan(0);
      expect(r.latency_ms).toBeGreaterThanOrEqual(0);
      if (r.text === '') continue;
      if (/Acme|Globex|Initech|Umbrella/.test(r.text)) mentioned++;
      r.citations.forEach((c, i) => {
        expect(c.position).toBe(i + 1);
        expect(c.domain).toMatch(/^[a-z0-9.-]+\.[a-z]+$/);
        if (c.cited_text !== undefined) expect(r.text).toContain(c.cited_text);
      });
      expect(new Set(r.citations.map((c) => c.url)).size).toBe(r.citations.length);
      if (r.citations.some((c) => BRAND_DOMAINS.includes(c.domain))) citedBrand++;
    }
    // Brands are mentioned with their configured probabilities, and their domains cited.
    expect(mentioned).toBeGreaterThan(5);
    expect(citedBrand).toBeGreaterThan(3);
    const stats = emu.stats().providers[p];
    expect(stats.calls).toBe(questions.length);
    expect(stats.byStatus['200']).toBe(questions.length);
  });

  it('gemini: follows grounding redirects to the real pages when settings ask for it', async () => {
    const client = clientFor('gemini');
    let resolvedCount = 0;
    for (const q of questions.slice(0, 8)) {
      // (Repeated questions get other answers: the emulator varies its samples.)
      const plain = await ask(client, 'gemini', q);
      const resolved = await ask(client, 'gemini', q, { resolve_redirects: true });
      for (const c of plain.citations) expect(c.url).toMatch(/grounding-api-redirect/);
      for (const c of resolved.citations) {
        expect(c.url).not.toMatch(/grounding-api-redirect/);
        expect(new URL(c.url).hostname.replace(/^www\./, '')).toBe(c.domain);
        resolvedCount++;
      }
    }
    expect(resolvedCount).toBeGreaterThan(3);
    expect(emu.stats().redirects).toBe(resolvedCount);
  });

  it.each(['openai', 'perplexity', 'gemini'] as const)('%s: each fault class is classified', async (p) => {
    const set = (faults: Record<string, number>) => emu.setConfig({ providers: { [p]: { faults: { rate429: 0, rate5xx: 0, rateTimeout: 0, rateMalformed: 0, ...faults } } } });
    const fail = async (settingsOver: Partial<ProviderLimits> = {}) => (await ask(clientFor(p, settingsOver), p, 'Q?').catch((e: unknown) => e)) as ProviderError;

    set({ rate429: 1, retryAfterSeconds: 3 });
    expect(await fail()).toMatchObject({ code: 'rate_limited', retryable: true, status: 429, retryAfterMs: 3000 });
    set({ rate5xx: 1 });
    expect(await fail()).toMatchObject({ code: 'server_error', retryable: true });
    set({ rateMalformed: 1 });
    expect(await fail()).toMatchObject({ code: 'malformed_response', retryable: true });
    set({ rateTimeout: 1 });
    const timedOut = await fail({ timeoutMs: 300 });
    expect(timedOut).toMatchObject({ code: 'timeout', retryable: true });
    set({});
    const unknown = (await clientFor(p)
      .invoke(clientFor(p).prepare({ provider: p, model: 'no-such-model-9' }, buildPrompt('v1', { question: 'Q?', persona: null, topic: null })))
      .catch((e: unknown) => e)) as ProviderError;
    expect(unknown).toMatchObject({ code: 'unknown_model', retryable: false });
  });

  it.each(['openai', 'perplexity', 'gemini'] as const)('%s: refusals, empty answers and answers without citations normalize cleanly', async (p) => {
    const client = clientFor(p);
    emu.setConfig({ providers: { [p]: { faults: { rateRefusal: 1 } } } });
    const refusal = await ask(client, p, 'Q1?');
    expect(refusal.citations).toEqual([]);
    emu.setConfig({ providers: { [p]: { faults: { rateRefusal: 0, rateEmpty: 1 } } } });
    const empty = await ask(client, p, 'Q2?');
    expect(empty).toMatchObject({ text: '', citations: [] });
    emu.setConfig({ providers: { [p]: { faults: { rateEmpty: 0, rateNoCitations: 1 } } } });
    const plain = await ask(client, p, 'Q3?');
    expect(plain.text.length).toBeGreaterThan(0);
    expect(plain.citations).toEqual([]);
  });

  it('the QPS ceiling answers 429 above the configured rate and counts the violations', async () => {
    emu.setConfig({ providers: { openai: { qps: 5 } } });
    const client = clientFor('openai');
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => ask(client, 'openai', `burst ${i}`).then(() => 'ok', (e: ProviderError) => e.code)));
    expect(results.filter((r) => r === 'ok')).toHaveLength(5);
    expect(results.filter((r) => r === 'rate_limited')).toHaveLength(7);
    const stats = emu.stats().providers.openai;
    expect(stats).toMatchObject({ calls: 12, qpsViolations: 7 });
    expect(stats.maxPerSecond).toBe(12);
  });

  it('the circuit breaker opens on an emulated outage and closes once the provider answers again', async () => {
    const config = loadAppConfig({
      API_KEYS: 'emulator-breaker-key',
      DATABASE_URL: 'postgres://unused/none',
      GOOGLE_API_KEY: 'emulator-key',
      GEMINI_BASE_URL: emu.baseUrls.gemini,
      PROVIDER_BREAKER_FAILURES: '4',
      PROVIDER_BREAKER_COOLDOWN_MS: '250',
    });
    const providers = new ProvidersService(config);
    const request = providers.prepare({ provider: 'gemini', model: 'gemini-2.5-flash' }, { question: 'Outage?', persona: null, topic: null }, 'v1');
    emu.setConfig({ providers: { gemini: { faults: { rate5xx: 1 } } } });
    for (let i = 0; i < 4; i++) await expect(providers.invoke(request)).rejects.toMatchObject({ code: 'server_error' });
    await expect(providers.invoke(request)).rejects.toMatchObject({ code: 'circuit_open' });
    expect(emu.stats().providers.gemini.calls).toBe(4);
    emu.setConfig({ providers: { gemini: { faults: { rate5xx: 0 } } } });
    await new Promise((r) => setTimeout(r, 260));
    await expect(providers.invoke(request)).resolves.toMatchObject({ provider: 'gemini' });
    expect(providers.circuit('gemini').state).toBe('closed');
  });
});
