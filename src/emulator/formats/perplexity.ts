import { approxTokens, type Answer } from '../answers';
import { uuidFrom } from '../random';
import { hasBearer, isRecord, type BuildContext, type ErrorReply, type ParsedRequest, type ProviderError, type ProviderFormat } from './format';
import { readResponsesInput } from './openai';

/**
 * Perplexity Agent API (Responses format): POST /v1/agent, and POST /v1/responses as the OpenAI
 * SDK calls it.
 *
 * Shape followed: Perplexity's OpenAPI for "Create Response" (docs.perplexity.ai, post
 * /v1/responses; ResponsesRequest, ResponsesResponse, OutputItem = MessageOutputItem |
 * SearchResultsOutputItem | ..., SearchResult {id, url, title, snippet, date, last_updated,
 * source: "web"}, Annotation {type, start_index, end_index, title, url}, ResponsesUsage
 * {input_tokens, output_tokens, total_tokens, input_tokens_details, tool_calls_details:
 * {<tool>: {invocation}}, cost: ResponsesCost {currency: "USD", input_cost, output_cost,
 * tool_calls_cost, total_cost}}, ErrorInfo {message, type, code}). The annotation `type` is not
 * enumerated there; "url_citation" is used, as in OpenAI's Responses format it follows.
 * Requests name a `model`, a `models` fallback chain (the first is served) or a `preset`.
 * Offsets are UTF-16 code units, end exclusive, like the OpenAI format.
 */

export interface PerplexityRequest extends ParsedRequest {
  preset: string | null;
}

/** USD per million tokens, for the emulator's own `usage.cost` (plausible, not a price list). */
const PRICES: Record<string, { input: number; output: number }> = {
  sonar: { input: 1, output: 1 },
  'sonar-pro': { input: 3, output: 15 },
  'sonar-reasoning-pro': { input: 2, output: 8 },
};
const WEB_SEARCH_USD = 0.005;

function priceOf(model: string): { input: number; output: number } {
  return PRICES[model.replace(/^perplexity\//, '')] ?? PRICES.sonar;
}

function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

export const perplexityFormat: ProviderFormat<PerplexityRequest> = {
  provider: 'perplexity',

  authenticated: (headers) => hasBearer(headers),

  parse(body, { config }): PerplexityRequest | ProviderError {
    if (!isRecord(body)) return { kind: 'invalid_request', message: 'The request body must be a JSON object.' };
    const preset = typeof body.preset === 'string' && body.preset !== '' ? body.preset : null;
    const chain = Array.isArray(body.models) ? body.models.filter((m): m is string => typeof m === 'string' && m !== '') : [];
    let model = chain[0] ?? (typeof body.model === 'string' && body.model !== '' ? body.model : null);
    if (model === null && preset !== null) {
      model = config.perplexityPresets[preset] ?? null;
      if (model === null) return { kind: 'invalid_request', message: `Unknown preset: ${preset}`, param: 'preset' };
    }
    if (model === null) return { kind: 'invalid_request', message: 'One of model, models or preset is required.', param: 'model' };
    const input = readResponsesInput(body.input);
    if (input === null || input.prompt.trim() === '') return { kind: 'invalid_request', message: 'input is required.', param: 'input' };
    const tools = Array.isArray(body.tools) ? body.tools.filter(isRecord) : [];
    const instructions = [typeof body.instructions === 'string' ? body.instructions : '', input.instructions].filter((s) => s !== '').join('\n');
    return {
      model,
      preset,
      prompt: input.prompt,
      instructions: instructions || undefined,
      // Sonar models and presets search on their own; other models only with the web_search tool.
      search: preset !== null || /(^|\/)sonar/.test(model) || tools.some((t) => t.type === 'web_search'),
    };
  },

  build(answer: Answer, req: PerplexityRequest, ctx: BuildContext): unknown {
    const { rng } = ctx;
    const output: unknown[] = [];
    if (answer.searched) {
      output.push({
        type: 'search_results',
        queries: answer.queries,
        results: answer.sources.map((s, i) => ({
          id: i + 1,
          url: s.url,
          title: s.title,
          snippet: s.snippet,
          date: s.date,
          last_updated: s.date,
          source: 'web',
        })),
      });
    }
    if (answer.kind !== 'empty') {
      output.push({
        type: 'message',
        id: `msg_${uuidFrom(rng)}`,
        status: 'completed',
        role: 'assistant',
        content: [
          {
            type: 'output_text',
            text: answer.text,
            annotations: answer.citations.map((c) => {
              const s = answer.sources[c.source];
              return { type: 'url_citation', start_index: c.start, end_index: c.end, url: s.url, title: s.title };
            }),
          },
        ],
      });
    }

    const inputTokens = approxTokens(`${req.instructions ?? ''}${req.prompt}`) + (answer.searched ? 200 * answer.sources.length : 0);
    const outputTokens = answer.text === '' ? 0 : approxTokens(answer.text);
    const searches = answer.searched ? Math.max(1, answer.queries.length) : 0;
    const price = priceOf(ctx.servedModel);
    const inputCost = round6((inputTokens * price.input) / 1e6);
    const outputCost = round6((outputTokens * price.output) / 1e6);
    const toolCost = round6(searches * WEB_SEARCH_USD);
    const usage: Record<string, unknown> = {
      input_tokens: inputTokens,
      output_tokens: outputTokens,
      total_tokens: inputTokens + outputTokens,
      input_tokens_details: { cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      cost: { currency: 'USD', input_cost: inputCost, output_cost: outputCost, tool_calls_cost: toolCost, total_cost: round6(inputCost + outputCost + toolCost) },
    };
    if (searches > 0) usage.tool_calls_details = { web_search: { invocation: searches } };

    return { id: uuidFrom(rng), object: 'response', created_at: ctx.now, status: 'completed', model: ctx.servedModel, output, usage };
  },

  error(err: ProviderError): ErrorReply {
    const reply = (status: number, message: string, type: string, code: string): ErrorReply => ({ status, body: { error: { message, type, code } } });
    switch (err.kind) {
      case 'unauthenticated':
        return reply(401, 'Missing or invalid API key.', 'authentication_error', 'unauthorized');
      case 'invalid_json':
        return reply(400, 'Request body is not valid JSON.', 'invalid_request_error', 'invalid_json');
      case 'invalid_request':
        return reply(400, err.message, 'invalid_request_error', 'invalid_request');
      case 'model_not_found':
        return reply(404, `Model not found: ${err.model}`, 'invalid_request_error', 'model_not_found');
      case 'rate_limited':
        return reply(429, `Rate limit exceeded. Please retry in ${err.retryAfterSeconds}s.`, 'rate_limit_error', 'rate_limit_exceeded');
      case 'server_error':
        return reply(err.status, err.status === 503 ? 'Service temporarily unavailable.' : 'Internal server error.', 'server_error', String(err.status));
    }
  },
};
