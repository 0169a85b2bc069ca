import type { Answer } from './answers';
import { defaultConfig } from './config';
import { geminiFormat, redirectTarget, redirectToken, utf8Offset } from './formats/gemini';
import { openaiFormat, readResponsesInput, type OpenAIRequest } from './formats/openai';
import { perplexityFormat, type PerplexityRequest } from './formats/perplexity';
import { createRng } from './random';

/** The wire formats built from a hand-made answer, so every offset is known in advance. */

const text = 'Zürich café — Acme CRM wins. “Globex” is fine.';
const answer: Answer = {
  kind: 'answer',
  text,
  searched: true,
  queries: ['best crm zürich'],
  sources: [
    { url: 'https://acme.example/pricing', title: 'Acme CRM Pricing', domain: 'acme.example', snippet: 's', date: '2025-01-02', brand: 'Acme CRM' },
    { url: 'https://www.g2.com/categories/crm', title: 'CRM — G2', domain: 'g2.com', snippet: 's', date: '2025-03-04' },
    { url: 'https://en.wikipedia.org/wiki/CRM', title: 'CRM — Wikipedia', domain: 'en.wikipedia.org', snippet: 's', date: '2025-05-06' },
  ],
  citations: [
    { source: 1, start: 0, end: text.indexOf('.') + 1 },
    { source: 0, start: 0, end: text.indexOf('.') + 1 },
    { source: 1, start: text.indexOf('“'), end: text.length },
  ],
  mentions: [],
};
const ctx = (servedModel: string) => ({ rng: createRng(1), servedModel, now: 1_700_000_000, redirectBase: 'http://emulator.test' });

interface Segment {
  startIndex?: number;
  endIndex: number;
  text: string;
}
interface GeminiOut {
  candidates: Array<{
    groundingMetadata: {
      groundingChunks: Array<{ web: { uri: string; title: string } }>;
      groundingSupports: Array<{ segment: Segment; groundingChunkIndices: number[]; confidenceScores?: number[] }>;
    };
  }>;
  usageMetadata: Record<string, number>;
}

describe('Gemini format', () => {
  const gemini = (model: string) => geminiFormat.build(answer, { model, prompt: 'Which CRM?', search: true, thinking: true }, ctx(model)) as GeminiOut;

  it('converts UTF-16 offsets to UTF-8 byte offsets, omitting a zero startIndex', () => {
    expect(utf8Offset(text, text.indexOf('Acme'))).toBe(Buffer.from(text).indexOf('Acme'));
    const supports = gemini('gemini-2.5-flash').candidates[0].groundingMetadata.groundingSupports;
    expect(supports).toHaveLength(2);
    expect('startIndex' in supports[0].segment).toBe(false);
    expect(supports[0].groundingChunkIndices).toEqual([1, 0]);
    const bytes = Buffer.from(text);
    for (const { segment } of supports) expect(bytes.subarray(segment.startIndex ?? 0, segment.endIndex).toString()).toBe(segment.text);
    // Byte offsets are past the character offsets once "ü", "é", "—" and "“" precede the span.
    expect(supports[1].segment.startIndex).toBeGreaterThan(text.indexOf('“'));
  });

  it('points chunks at stateless redirects titled with the domain, keeps uncited chunks, scores only on 2.0', () => {
    const gm = gemini('gemini-2.0-flash').candidates[0].groundingMetadata;
    expect(gm.groundingChunks.map((c) => c.web.title)).toEqual(['acme.example', 'g2.com', 'en.wikipedia.org']);
    const token = gm.groundingChunks[2].web.uri.split('/grounding-api-redirect/')[1];
    expect(redirectTarget(token)).toBe('https://en.wikipedia.org/wiki/CRM');
    expect(gm.groundingSupports.flatMap((s) => s.groundingChunkIndices)).not.toContain(2);
    expect(gm.groundingSupports[0].confidenceScores).toHaveLength(2);
    expect(gemini('gemini-2.5-pro').candidates[0].groundingMetadata.groundingSupports[0].confidenceScores).toBeUndefined();
    expect(redirectTarget(redirectToken('javascript:alert(1)'))).toBeNull();
  });

  it('reports thinking tokens for 2.5 Flash/Pro only, and totals all four counts', () => {
    const flash = gemini('gemini-2.5-flash').usageMetadata;
    expect(flash.thoughtsTokenCount).toBeGreaterThan(0);
    expect(flash.totalTokenCount).toBe(flash.promptTokenCount + flash.candidatesTokenCount + flash.toolUsePromptTokenCount + flash.thoughtsTokenCount);
    expect(gemini('gemini-2.5-flash-lite').usageMetadata.thoughtsTokenCount).toBeUndefined();
  });
});

describe('OpenAI format', () => {
  const req = (overrides: Partial<OpenAIRequest> = {}): OpenAIRequest => ({
    model: 'gpt-4.1',
    prompt: 'Which CRM?',
    search: true,
    tools: [{ type: 'web_search' }],
    includeSources: true,
    searchContextSize: 'medium',
    raw: {},
    ...overrides,
  });

  it('reads string and message-array input, user and system turns apart', () => {
    expect(readResponsesInput('hi')).toEqual({ prompt: 'hi', instructions: '' });
    expect(
      readResponsesInput([
        { role: 'developer', content: 'be brief' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Which CRM?' }] },
        { role: 'assistant', content: 'earlier answer' },
      ]),
    ).toEqual({ prompt: 'Which CRM?', instructions: 'be brief' });
    expect(readResponsesInput(42)).toBeNull();
  });

  it('annotates character offsets with utm-tagged URLs and no reasoning item for non-reasoning models', () => {
    const out = openaiFormat.build(answer, req(), ctx('gpt-4.1-2025-04-14')) as {
      output: Array<{ type: string; content?: Array<{ annotations: Array<{ start_index: number; end_index: number; url: string }> }> }>;
      usage: { output_tokens_details: { reasoning_tokens: number } };
    };
    expect(out.output.map((o) => o.type)).toEqual(['web_search_call', 'message']);
    const annotations = out.output[1].content![0].annotations;
    expect(annotations[2]).toMatchObject({ start_index: text.indexOf('“'), end_index: text.length, url: 'https://www.g2.com/categories/crm?utm_source=openai' });
    expect(out.usage.output_tokens_details.reasoning_tokens).toBe(0);
  });

  it('parses tool, include and tool_choice, and rejects a request without input', () => {
    const parsed = openaiFormat.parse(
      { model: 'gpt-5', input: 'q', tools: [{ type: 'web_search_preview', search_context_size: 'high' }], tool_choice: 'none' },
      { pathModel: null, config: defaultConfig() },
    );
    expect(parsed).toMatchObject({ search: false, includeSources: false, searchContextSize: 'high' });
    expect(openaiFormat.parse({ model: 'gpt-5' }, { pathModel: null, config: defaultConfig() })).toMatchObject({ kind: 'invalid_request', param: 'input' });
  });
});

describe('Perplexity format', () => {
  it('reports search results with ids, annotations on them, and a cost that adds up', () => {
    const req: PerplexityRequest = { model: 'perplexity/sonar-pro', prompt: 'Which CRM?', search: true, preset: null };
    const out = perplexityFormat.build(answer, req, ctx('perplexity/sonar-pro')) as {
      output: Array<{ type: string; results?: Array<{ id: number; url: string }> }>;
      usage: { tool_calls_details: { web_search: { invocation: number } }; cost: Record<string, number | string> };
    };
    expect(out.output.map((o) => o.type)).toEqual(['search_results', 'message']);
    expect(out.output[0].results!.map((r) => r.id)).toEqual([1, 2, 3]);
    const cost = out.usage.cost as { input_cost: number; output_cost: number; tool_calls_cost: number; total_cost: number; currency: string };
    expect(cost.tool_calls_cost).toBe(0.005);
    expect(cost.total_cost).toBeCloseTo(cost.input_cost + cost.output_cost + cost.tool_calls_cost, 6);
    expect(out.usage.tool_calls_details.web_search.invocation).toBe(1);
  });

  it('takes the first of a models chain, resolves presets, and searches for sonar models', () => {
    const config = defaultConfig();
    expect(perplexityFormat.parse({ models: ['sonar-pro', 'sonar'], input: 'q' }, { pathModel: null, config })).toMatchObject({ model: 'sonar-pro', search: true });
    expect(perplexityFormat.parse({ preset: 'fast-search', input: 'q' }, { pathModel: null, config })).toMatchObject({ model: 'perplexity/sonar', preset: 'fast-search' });
    expect(perplexityFormat.parse({ model: 'openai/gpt-5', input: 'q' }, { pathModel: null, config })).toMatchObject({ search: false });
    expect(perplexityFormat.parse({ preset: 'nope', input: 'q' }, { pathModel: null, config })).toMatchObject({ kind: 'invalid_request' });
  });
});
