import { approxTokens, type Answer } from '../answers';
import { hexId, intBetween } from '../random';
import { hasBearer, isRecord, type BuildContext, type ErrorReply, type ParsedRequest, type ProviderError, type ProviderFormat } from './format';

/**
 * OpenAI Responses API: POST /v1/responses.
 *
 * Shape followed: the Response object as typed by the official `openai` Node SDK v6
 * (node_modules/openai/resources/responses/responses.d.ts: Response, ResponseOutputMessage,
 * ResponseOutputText.URLCitation, ResponseFunctionWebSearch with action {type:'search', query,
 * queries, sources}, ResponseReasoningItem, ResponseUsage) and OpenAI's web-search guide
 * (developers.openai.com/api/docs/guides/tools-web-search): citations are `url_citation`
 * annotations on the message's `output_text`, and the search call lists its `sources` only when
 * the request asks for them with `include: ["web_search_call.action.sources"]`.
 * Error bodies follow OpenAI's `{error: {message, type, param, code}}` with the messages the real
 * API sends (missing key, unknown model `model_not_found`, `rate_limit_exceeded`).
 *
 * Offsets: `start_index`/`end_index` are UTF-16 code-unit offsets (JavaScript string indices),
 * end exclusive: text.slice(start_index, end_index) is the cited sentence. Cited URLs carry
 * `utm_source=openai`, as the real service appends it.
 */

export interface OpenAIRequest extends ParsedRequest {
  tools: Array<Record<string, unknown>>;
  includeSources: boolean;
  searchContextSize: 'low' | 'medium' | 'high';
  raw: Record<string, unknown>;
}

interface InputText {
  prompt: string;
  instructions: string;
}

/** Reads a Responses-format `input` (a string, or messages with string or part-array content). */
export function readResponsesInput(input: unknown): InputText | null {
  if (typeof input === 'string') return { prompt: input, instructions: '' };
  if (!Array.isArray(input)) return null;
  const user: string[] = [];
  const system: string[] = [];
  for (const item of input) {
    if (!isRecord(item)) continue;
    const role = typeof item.role === 'string' ? item.role : 'user';
    const text = contentText(item.content);
    if (text === '') continue;
    if (role === 'user') user.push(text);
    else if (role === 'system' || role === 'developer') system.push(text);
  }
  return { prompt: user.join('\n'), instructions: system.join('\n') };
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (isRecord(part) && typeof part.text === 'string' && (part.type === 'input_text' || part.type === 'text' || part.type === undefined) ? part.text : ''))
    .filter((t) => t !== '')
    .join('\n');
}

function isReasoningModel(model: string): boolean {
  return /^(gpt-5|o\d)/.test(model);
}

function withUtm(url: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}utm_source=openai`;
}

export const openaiFormat: ProviderFormat<OpenAIRequest> = {
  provider: 'openai',

  authenticated: (headers) => hasBearer(headers),

  parse(body): OpenAIRequest | ProviderError {
    if (!isRecord(body)) return { kind: 'invalid_request', message: 'The request body must be a JSON object.' };
    if (typeof body.model !== 'string' || body.model === '') {
      return { kind: 'invalid_request', message: "Missing required parameter: 'model'.", param: 'model' };
    }
    const input = readResponsesInput(body.input);
    if (input === null || input.prompt.trim() === '') {
      return { kind: 'invalid_request', message: "Missing required parameter: 'input'.", param: 'input' };
    }
    const tools = Array.isArray(body.tools) ? body.tools.filter(isRecord) : [];
    const searchTool = tools.find((t) => typeof t.type === 'string' && t.type.startsWith('web_search'));
    const include = Array.isArray(body.include) ? body.include : [];
    const size = searchTool?.search_context_size;
    const instructions = [typeof body.instructions === 'string' ? body.instructions : '', input.instructions].filter((s) => s !== '').join('\n');
    return {
      model: body.model,
      prompt: input.prompt,
      instructions: instructions || undefined,
      search: searchTool !== undefined && body.tool_choice !== 'none',
      tools,
      includeSources: include.includes('web_search_call.action.sources'),
      searchContextSize: size === 'low' || size === 'high' ? size : 'medium',
      raw: body,
    };
  },

  build(answer: Answer, req: OpenAIRequest, ctx: BuildContext): unknown {
    const { rng } = ctx;
    const reasoning = isReasoningModel(ctx.servedModel);
    const output: unknown[] = [];
    if (reasoning) output.push({ id: `rs_${hexId(rng, 50)}`, type: 'reasoning', summary: [] });

    if (answer.searched) {
      // One search call per query; the sources are spread over them like the real service does.
      const queries = answer.queries.length > 0 ? answer.queries : [req.prompt];
      queries.forEach((query, qi) => {
        const action: Record<string, unknown> = { type: 'search', query, queries: [query] };
        if (req.includeSources) {
          action.sources = answer.sources.filter((_, si) => si % queries.length === qi).map((s) => ({ type: 'url', url: s.url }));
        }
        output.push({ id: `ws_${hexId(rng, 50)}`, type: 'web_search_call', status: 'completed', action });
      });
    }

    if (answer.kind !== 'empty') {
      // A refusal sometimes comes as a `refusal` content part, which clients reading only
      // output_text parts must handle.
      const content =
        answer.kind === 'refusal' && rng() < 0.5
          ? [{ type: 'refusal', refusal: answer.text }]
          : [
              {
                type: 'output_text',
                text: answer.text,
                annotations: answer.citations.map((c) => {
                  const source = answer.sources[c.source];
                  return { type: 'url_citation', start_index: c.start, end_index: c.end, url: withUtm(source.url), title: source.title };
                }),
                logprobs: [],
              },
            ];
      output.push({ id: `msg_${hexId(rng, 50)}`, type: 'message', status: 'completed', role: 'assistant', content });
    }

    const searchContext = answer.searched ? { low: [500, 900], medium: [1200, 2400], high: [3000, 5000] }[req.searchContextSize] : null;
    const inputTokens = approxTokens(`${req.instructions ?? ''}${req.prompt}`) + (searchContext ? intBetween(rng, searchContext[0], searchContext[1]) : 0);
    const reasoningTokens = reasoning ? 64 * intBetween(rng, 1, 10) : 0;
    const outputTokens = (answer.text === '' ? 0 : approxTokens(answer.text)) + reasoningTokens;
    const raw = req.raw;

    return {
      id: `resp_${hexId(rng, 50)}`,
      object: 'response',
      created_at: ctx.now,
      status: 'completed',
      background: false,
      completed_at: ctx.now + 1,
      error: null,
      incomplete_details: null,
      instructions: typeof raw.instructions === 'string' ? raw.instructions : null,
      max_output_tokens: typeof raw.max_output_tokens === 'number' ? raw.max_output_tokens : null,
      max_tool_calls: null,
      model: ctx.servedModel,
      output,
      parallel_tool_calls: true,
      previous_response_id: null,
      prompt_cache_key: null,
      reasoning: { effort: reasoning ? (isRecord(raw.reasoning) && typeof raw.reasoning.effort === 'string' ? raw.reasoning.effort : 'medium') : null, summary: null },
      safety_identifier: null,
      service_tier: 'default',
      store: raw.store !== false,
      temperature: 1,
      text: { format: { type: 'text' }, verbosity: 'medium' },
      tool_choice: raw.tool_choice ?? 'auto',
      tools: req.tools.map((t) =>
        typeof t.type === 'string' && t.type.startsWith('web_search')
          ? { filters: null, search_context_size: req.searchContextSize, user_location: { type: 'approximate', city: null, country: 'US', region: null, timezone: null }, ...t }
          : t,
      ),
      top_logprobs: 0,
      top_p: 1,
      truncation: 'disabled',
      usage: {
        input_tokens: inputTokens,
        input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
        output_tokens: outputTokens,
        output_tokens_details: { reasoning_tokens: reasoningTokens },
        total_tokens: inputTokens + outputTokens,
      },
      user: null,
      metadata: isRecord(raw.metadata) ? raw.metadata : {},
    };
  },

  error(err: ProviderError): ErrorReply {
    const reply = (status: number, message: string, type: string, code: string | null, param: string | null = null): ErrorReply => ({
      status,
      body: { error: { message, type, param, code } },
    });
    switch (err.kind) {
      case 'unauthenticated':
        return reply(
          401,
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
          'invalid_request_error',
          null,
        );
      case 'invalid_json':
        return reply(
          400,
          "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
          'invalid_request_error',
          null,
        );
      case 'invalid_request':
        return reply(400, err.message, 'invalid_request_error', err.param ? 'missing_required_parameter' : null, err.param ?? null);
      case 'model_not_found':
        return reply(404, `The model \`${err.model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found');
      case 'rate_limited':
        return reply(
          429,
          `Rate limit reached for ${err.model} in organization org-emulator on requests per min (RPM): Limit ${err.limit ?? 'exceeded'}. Please try again in ${err.retryAfterSeconds}s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
          'requests',
          'rate_limit_exceeded',
        );
      case 'server_error':
        if (err.status === 503) return reply(503, 'The engine is currently overloaded, please try again later.', 'server_error', null);
        if (err.status === 502) return reply(502, 'Bad gateway.', 'server_error', null);
        return reply(500, 'The server had an error while processing your request. Sorry about that!', 'server_error', null);
    }
  },
};
