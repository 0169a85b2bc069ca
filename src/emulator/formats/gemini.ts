import { approxTokens, type Answer } from '../answers';
import { base64UrlId, intBetween, pick } from '../random';
import { isRecord, type BuildContext, type ErrorReply, type ParsedRequest, type ProviderError, type ProviderFormat } from './format';

/**
 * Gemini API: POST /v1beta/models/{model}:generateContent, key in `x-goog-api-key` or `?key=`.
 *
 * Shape followed: GenerateContentResponse as documented for the Gemini API and typed by the
 * Google Gen AI SDK (googleapis.github.io/js-genai: Candidate, GroundingMetadata {searchEntryPoint
 * {renderedContent}, groundingChunks [{web: {uri, title}}], groundingSupports [{segment,
 * groundingChunkIndices, confidenceScores}], webSearchQueries}, Segment, UsageMetadata
 * {promptTokenCount, candidatesTokenCount, toolUsePromptTokenCount, thoughtsTokenCount,
 * totalTokenCount = the sum of the four}).
 * - Segment `startIndex`/`endIndex` are UTF-8 BYTE offsets into the part's text ("measured in
 *   bytes", start inclusive, end exclusive; Segment docs and Firebase AI reference).
 * - Zero-valued fields are omitted, as proto3 JSON does: the first segment often has no
 *   `startIndex`, and `partIndex` 0 is never written. Clients must default them to 0.
 * - Chunk `uri` is a grounding-api-redirect URL and `title` the bare domain; some chunks are
 *   referenced by no support (the search returned them, the answer did not cite them).
 * - Errors are Google's `{error: {code, message, status}}`; a missing key is 403
 *   PERMISSION_DENIED ("Method doesn't allow unregistered callers"), an unknown model 404
 *   NOT_FOUND, a quota 429 RESOURCE_EXHAUSTED with a google.rpc.RetryInfo detail.
 */

export interface GeminiRequest extends ParsedRequest {
  thinking: boolean;
}

const REDIRECT_PREFIX = 'AUZIYQ';

/** A redirect token that carries the target URL, so the redirect endpoint needs no state. */
export function redirectToken(url: string): string {
  return REDIRECT_PREFIX + Buffer.from(url, 'utf8').toString('base64url');
}

export function redirectTarget(token: string): string | null {
  if (!token.startsWith(REDIRECT_PREFIX)) return null;
  const url = Buffer.from(token.slice(REDIRECT_PREFIX.length), 'base64url').toString('utf8');
  return /^https?:\/\/[^\s]+$/.test(url) ? url : null;
}

/** UTF-8 byte offset of the UTF-16 index `index` in `text`. */
export function utf8Offset(text: string, index: number): number {
  return Buffer.byteLength(text.slice(0, index), 'utf8');
}

function partsText(content: unknown): string {
  if (!isRecord(content) || !Array.isArray(content.parts)) return '';
  return content.parts
    .map((p) => (isRecord(p) && typeof p.text === 'string' ? p.text : ''))
    .filter((t) => t !== '')
    .join('\n');
}

function thinkingModel(model: string): boolean {
  return /^gemini-2\.5-(flash|pro)(?!-lite)/.test(model) || /^gemini-3/.test(model);
}

function renderedContent(queries: string[], redirect: (url: string) => string): string {
  const chips = queries
    .map((q) => `<a class="chip" href="${redirect(`https://www.google.com/search?q=${encodeURIComponent(q)}`)}">${escapeHtml(q)}</a>`)
    .join('\n    ');
  return (
    '<style>\n.container { align-items: center; border-radius: 8px; display: flex; font-family: Google Sans, Roboto, sans-serif; font-size: 14px; padding: 0 12px; }\n' +
    '.chip { display: inline-block; border: solid 1px; border-radius: 16px; padding: 5px 16px; text-decoration: none; }\n</style>\n' +
    `<div class="container">\n  <div class="headline">Google Search Suggestions</div>\n  <div class="carousel">\n    ${chips}\n  </div>\n</div>\n`
  );
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export const geminiFormat: ProviderFormat<GeminiRequest> = {
  provider: 'gemini',

  authenticated(headers, query) {
    const key = headers['x-goog-api-key'];
    if (typeof key === 'string' && key.trim() !== '') return true;
    if ((query.get('key') ?? '').trim() !== '') return true;
    return typeof headers.authorization === 'string' && /^Bearer\s+\S+/i.test(headers.authorization);
  },

  parse(body, { pathModel }): GeminiRequest | ProviderError {
    if (!isRecord(body)) return { kind: 'invalid_request', message: 'Invalid JSON payload received. Expected an object.' };
    if (!Array.isArray(body.contents) || body.contents.length === 0) {
      return { kind: 'invalid_request', message: '* GenerateContentRequest.contents: contents is not specified' };
    }
    const prompt = body.contents
      .filter((c) => isRecord(c) && c.role !== 'model')
      .map(partsText)
      .filter((t) => t !== '')
      .join('\n');
    if (prompt.trim() === '') return { kind: 'invalid_request', message: '* GenerateContentRequest.contents[0].parts: contents.parts must not be empty.' };
    // The REST API accepts both spellings of proto field names.
    const instructions = partsText(body.systemInstruction ?? body.system_instruction);
    const tools = Array.isArray(body.tools) ? body.tools.filter(isRecord) : [];
    const search = tools.some((t) => 'google_search' in t || 'googleSearch' in t || 'google_search_retrieval' in t || 'googleSearchRetrieval' in t);
    const config = isRecord(body.generationConfig) ? body.generationConfig : isRecord(body.generation_config) ? body.generation_config : {};
    const thinkingConfig = isRecord(config.thinkingConfig) ? config.thinkingConfig : isRecord(config.thinking_config) ? config.thinking_config : {};
    const budget = thinkingConfig.thinkingBudget ?? thinkingConfig.thinking_budget;
    return { model: pathModel ?? '', prompt, instructions: instructions || undefined, search, thinking: budget !== 0 };
  },

  build(answer: Answer, req: GeminiRequest, ctx: BuildContext): unknown {
    const { rng } = ctx;
    const redirect = (url: string) => `${ctx.redirectBase}/grounding-api-redirect/${redirectToken(url)}`;
    const grounding = answer.searched ? groundingMetadata(answer, ctx.servedModel, redirect) : undefined;

    let candidate: Record<string, unknown>;
    if (answer.kind === 'empty') {
      // Three ways Gemini returns no text: blocked for safety (no content at all), stopped for
      // "OTHER" with an empty content, or the known STOP-without-parts quirk after a search.
      const variant = pick(rng, ['SAFETY', 'OTHER', 'STOP'] as const);
      if (variant === 'SAFETY') {
        candidate = {
          finishReason: 'SAFETY',
          index: 0,
          safetyRatings: [
            { category: 'HARM_CATEGORY_HARASSMENT', probability: 'NEGLIGIBLE' },
            { category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'MEDIUM', blocked: true },
          ],
        };
      } else {
        candidate = { content: { role: 'model' }, finishReason: variant, index: 0 };
        if (answer.searched && answer.queries.length > 0) {
          candidate.groundingMetadata = { searchEntryPoint: { renderedContent: renderedContent(answer.queries, redirect) }, webSearchQueries: answer.queries };
        }
      }
    } else {
      candidate = { content: { parts: [{ text: answer.text }], role: 'model' }, finishReason: 'STOP', index: 0 };
      if (grounding) candidate.groundingMetadata = grounding;
    }

    const promptTokens = approxTokens(`${req.instructions ?? ''}${req.prompt}`);
    const candidateTokens = answer.text === '' ? 0 : approxTokens(answer.text);
    const toolTokens = answer.searched ? intBetween(rng, 120, 480) : 0;
    const thoughts = req.thinking && thinkingModel(ctx.servedModel) ? intBetween(rng, 80, 900) : 0;
    const usage: Record<string, unknown> = { promptTokenCount: promptTokens };
    if (candidateTokens > 0) usage.candidatesTokenCount = candidateTokens;
    usage.totalTokenCount = promptTokens + candidateTokens + toolTokens + thoughts;
    usage.promptTokensDetails = [{ modality: 'TEXT', tokenCount: promptTokens }];
    if (toolTokens > 0) {
      usage.toolUsePromptTokenCount = toolTokens;
      usage.toolUsePromptTokensDetails = [{ modality: 'TEXT', tokenCount: toolTokens }];
    }
    if (thoughts > 0) usage.thoughtsTokenCount = thoughts;

    return { candidates: [candidate], usageMetadata: usage, modelVersion: ctx.servedModel, responseId: base64UrlId(rng, 23) };
  },

  error(err: ProviderError): ErrorReply {
    const reply = (code: number, message: string, status: string, details?: unknown[]): ErrorReply => ({
      status: code,
      body: { error: details ? { code, message, status, details } : { code, message, status } },
    });
    switch (err.kind) {
      case 'unauthenticated':
        return reply(
          403,
          "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
          'PERMISSION_DENIED',
        );
      case 'invalid_json':
        return reply(400, 'Invalid JSON payload received. Unexpected token.', 'INVALID_ARGUMENT');
      case 'invalid_request':
        return reply(400, err.message, 'INVALID_ARGUMENT');
      case 'model_not_found':
        return reply(
          404,
          `models/${err.model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`,
          'NOT_FOUND',
        );
      case 'rate_limited':
        return reply(429, `You exceeded your current quota, please check your plan and billing details. Please retry in ${err.retryAfterSeconds}s.`, 'RESOURCE_EXHAUSTED', [
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${err.retryAfterSeconds}s` },
        ]);
      case 'server_error':
        if (err.status === 500) return reply(500, 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting', 'INTERNAL');
        return reply(err.status, 'The model is overloaded. Please try again later.', 'UNAVAILABLE');
    }
  },
};

function groundingMetadata(answer: Answer, model: string, redirect: (url: string) => string): Record<string, unknown> {
  const text = answer.text;
  // One support per cited span, listing every chunk cited there.
  const bySpan = new Map<string, { start: number; end: number; chunks: number[] }>();
  for (const c of answer.citations) {
    const key = `${c.start}:${c.end}`;
    const entry = bySpan.get(key) ?? { start: c.start, end: c.end, chunks: [] };
    if (!entry.chunks.includes(c.source)) entry.chunks.push(c.source);
    bySpan.set(key, entry);
  }
  const withScores = model.startsWith('gemini-2.0') || model.startsWith('gemini-1.5');
  const supports = [...bySpan.values()].map((s) => {
    const segment: Record<string, unknown> = {};
    const startIndex = utf8Offset(text, s.start);
    if (startIndex !== 0) segment.startIndex = startIndex;
    segment.endIndex = utf8Offset(text, s.end);
    segment.text = text.slice(s.start, s.end);
    const support: Record<string, unknown> = { segment, groundingChunkIndices: s.chunks };
    if (withScores) support.confidenceScores = s.chunks.map((_, i) => Math.round((0.95 - i * 0.07) * 1000) / 1000);
    return support;
  });
  return {
    searchEntryPoint: { renderedContent: renderedContent(answer.queries, redirect) },
    groundingChunks: answer.sources.map((s) => ({ web: { uri: redirect(s.url), title: s.domain } })),
    groundingSupports: supports,
    retrievalMetadata: {},
    webSearchQueries: answer.queries,
  };
}
