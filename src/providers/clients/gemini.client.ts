import type { ProviderLimits } from '../../core/config/app-config';
import { CitationList, domainOf } from '../citations';
import { ProviderClient, type ClientAnswer, type CostWarning } from '../provider-client';
import { codeForStatus, ProviderError, retryAfterMs } from '../provider.errors';
import type { PreparedRequest, Prompt, ProviderSetting } from '../provider.types';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const looksLikeDomain = (s: string): boolean => /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(s);

/**
 * The answer of a generateContent response: the candidate's text parts (thoughts left out) and
 * its grounding. Documented shape: `groundingMetadata.groundingChunks[].web {uri, title}` (the uri
 * is a Google redirect, the title usually the source's domain), `groundingSupports[] {segment
 * {startIndex, endIndex, text}, groundingChunkIndices}` where the offsets count UTF-8 bytes of the
 * text, and `webSearchQueries`. Only chunks a support points at are cited; the others are sources.
 */
export function normalizeGemini(data: unknown): Omit<ClientAnswer, 'raw' | 'pricedRequests'> & { grounded: boolean } {
  if (!isObj(data)) throw new ProviderError('gemini', 'malformed_response', 'the response is not an object');
  const candidates = Array.isArray(data.candidates) ? data.candidates : [];
  const blocked = isObj(data.promptFeedback) ? str(data.promptFeedback.blockReason) : null;
  if (!Array.isArray(data.candidates) && !blocked) throw new ProviderError('gemini', 'malformed_response', 'the response has no candidates');
  const candidate = candidates.find(isObj) ?? {};
  const content = isObj(candidate.content) ? candidate.content : {};
  const parts = Array.isArray(content.parts) ? content.parts : [];
  const text = parts
    .filter((p): p is Obj => isObj(p) && typeof p.text === 'string' && p.thought !== true)
    .map((p) => p.text as string)
    .join('');
  const bytes = Buffer.from(text, 'utf8');

  const grounding = isObj(candidate.groundingMetadata) ? candidate.groundingMetadata : {};
  const chunks = (Array.isArray(grounding.groundingChunks) ? grounding.groundingChunks : []).map((c) => (isObj(c) && isObj(c.web) ? c.web : {}));
  const supports = (Array.isArray(grounding.groundingSupports) ? grounding.groundingSupports : []).filter(isObj);
  const citations = new CitationList();
  // Supports in text order, so that positions follow the answer.
  const ordered = supports
    .map((s) => ({ s, seg: isObj(s.segment) ? s.segment : {} }))
    .sort((a, b) => (num(a.seg.startIndex) ?? 0) - (num(b.seg.startIndex) ?? 0));
  for (const { s, seg } of ordered) {
    const start = num(seg.startIndex) ?? 0;
    const end = num(seg.endIndex);
    // The offsets count UTF-8 bytes; the segment's own text is the fallback when they do not fit.
    const cited = end !== null && start >= 0 && end <= bytes.length && start < end ? bytes.subarray(start, end).toString('utf8') : (str(seg.text) ?? undefined);
    for (const i of Array.isArray(s.groundingChunkIndices) ? s.groundingChunkIndices : []) {
      const chunk = typeof i === 'number' ? chunks[i] : undefined;
      const uri = chunk && str(chunk.uri);
      if (!uri) continue;
      const title = str(chunk.title);
      citations.add(uri, title, cited, title && looksLikeDomain(title) ? title.toLowerCase().replace(/^www\./, '') : domainOf(uri));
    }
  }
  const sources = chunks
    .filter((c) => typeof c.uri === 'string' && !citations.has(c.uri))
    .map((c) => {
      const title = str(c.title);
      return { url: c.uri as string, title, domain: title && looksLikeDomain(title) ? title.toLowerCase() : domainOf(c.uri as string) };
    });
  const queries = (Array.isArray(grounding.webSearchQueries) ? grounding.webSearchQueries : []).filter((q): q is string => typeof q === 'string');

  const u = isObj(data.usageMetadata) ? data.usageMetadata : {};
  const prompt = num(u.promptTokenCount);
  const toolPrompt = num(u.toolUsePromptTokenCount) ?? 0;
  const candidatesTokens = num(u.candidatesTokenCount);
  const thoughts = num(u.thoughtsTokenCount) ?? 0;
  const finish = str(candidate.finishReason);
  return {
    text,
    citations: citations.list(),
    sources,
    searchQueries: [...new Set(queries)],
    usage: {
      input_tokens: prompt === null ? null : prompt + toolPrompt,
      output_tokens: candidatesTokens === null ? (thoughts || null) : candidatesTokens + thoughts,
      cached_input_tokens: num(u.cachedContentTokenCount),
      reasoning_tokens: thoughts || null,
      search_calls: queries.length ? 1 : 0,
      total_tokens: num(u.totalTokenCount),
    },
    servedModel: str(data.modelVersion),
    finishReason: blocked ? `blocked:${blocked}` : text === '' ? (finish && finish !== 'STOP' ? finish.toLowerCase() : 'empty') : finish ? finish.toLowerCase() : null,
    grounded: queries.length > 0 || chunks.length > 0,
  };
}

/**
 * Gemini's generateContent over plain fetch (the Google SDK needs a newer Node), with the
 * google_search tool unless the settings turn it off. Settings: google_search (boolean),
 * resolve_redirects (boolean: follow each cited redirect URI to the real URL, one request each),
 * max_output_tokens, thinking_budget.
 */
export class GeminiClient extends ProviderClient {
  readonly name = 'gemini' as const;

  constructor(limits: ProviderLimits, warnUnpriced?: CostWarning) {
    super(limits, warnUnpriced);
  }

  validateSettings(s: Record<string, unknown>): string[] {
    const problems: string[] = [];
    for (const key of Object.keys(s)) if (!['google_search', 'web_search', 'resolve_redirects', 'max_output_tokens', 'thinking_budget'].includes(key)) problems.push(`unknown setting "${key}"`);
    for (const key of ['google_search', 'web_search', 'resolve_redirects']) if (s[key] !== undefined && typeof s[key] !== 'boolean') problems.push(`${key} must be true or false`);
    for (const key of ['max_output_tokens', 'thinking_budget']) if (s[key] !== undefined && !(Number.isInteger(s[key]) && (s[key] as number) >= 0)) problems.push(`${key} must be a non-negative integer`);
    return problems;
  }

  prepare(setting: ProviderSetting, prompt: Prompt): PreparedRequest {
    const s = setting.settings ?? {};
    const body: Record<string, unknown> = { contents: [{ role: 'user', parts: [{ text: prompt.user }] }] };
    if (prompt.system) body.systemInstruction = { parts: [{ text: prompt.system }] };
    if (s.google_search !== false && s.web_search !== false) body.tools = [{ google_search: {} }];
    const generationConfig: Record<string, unknown> = {};
    if (s.max_output_tokens !== undefined) generationConfig.maxOutputTokens = s.max_output_tokens;
    if (s.thinking_budget !== undefined) generationConfig.thinkingConfig = { thinkingBudget: s.thinking_budget };
    if (Object.keys(generationConfig).length) body.generationConfig = generationConfig;
    return { provider: this.name, model: setting.model, prompt, settings: s, body, path: `/v1beta/models/${encodeURIComponent(setting.model)}:generateContent` };
  }

  protected async call(request: PreparedRequest): Promise<ClientAnswer> {
    if (!this.limits.apiKey) throw new ProviderError(this.name, 'not_configured', 'GOOGLE_API_KEY is not set');
    let res: Response;
    try {
      res = await fetch(`${this.limits.baseUrl}${request.path}`, {
        method: 'POST',
        // The key goes in a header, never in the URL (which ends up in logs).
        headers: { 'Content-Type': 'application/json', 'x-goog-api-key': this.limits.apiKey },
        body: JSON.stringify(request.body),
        signal: AbortSignal.timeout(this.limits.timeoutMs),
      });
    } catch (err) {
      throw this.transportError(err);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw this.transportError(err);
    }
    if (!res.ok) {
      let message = text.slice(0, 500);
      try {
        const e = JSON.parse(text) as { error?: { message?: string; status?: string } };
        message = `${e.error?.status ?? res.status}: ${e.error?.message ?? message}`;
      } catch {
        // not JSON: keep the text
      }
      throw new ProviderError(this.name, codeForStatus(res.status, message), message, res.status, retryAfterMs(res.headers));
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new ProviderError(this.name, 'malformed_response', `malformed JSON: ${(err as Error).message}`);
    }
    const n = normalizeGemini(data);
    if (request.settings.resolve_redirects === true) await this.resolveRedirects(n.citations);
    const { grounded, ...answer } = n;
    return { ...answer, pricedRequests: grounded ? 1 : 0, raw: data };
  }

  /** Follows each citation's redirect URI once (HEAD, no body) to the page it points at. */
  private async resolveRedirects(citations: ClientAnswer['citations']): Promise<void> {
    await Promise.all(
      citations.map(async (c) => {
        try {
          const res = await fetch(c.url, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(5000) });
          const location = res.headers.get('location');
          if (location) {
            c.url = new URL(location, c.url).toString();
            c.domain = domainOf(c.url);
          }
        } catch {
          // Keep the redirect URI: the title already names the domain.
        }
      }),
    );
  }

  private transportError(err: unknown): ProviderError {
    const e = err as { name?: string; message?: string; cause?: { code?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return new ProviderError(this.name, 'timeout', 'the request timed out');
    return new ProviderError(this.name, 'connection', `connection failed: ${e.cause?.code ?? e.message ?? String(err)}`);
  }
}
