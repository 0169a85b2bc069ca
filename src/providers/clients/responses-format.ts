import { CitationList, domainOf } from '../citations';
import type { Citation, Usage } from '../provider.types';

/**
 * The parts of an OpenAI Responses object that OpenAI and Perplexity's Agent API share (the
 * Agent API speaks the same format). Documented shape: `output` is a list of items; `message`
 * items hold `output_text` parts whose `annotations` include `url_citation` with character
 * offsets (`start_index`, `end_index`) into that part's text; `web_search_call` items hold the
 * search `action` (query / queries and sources); Perplexity adds `search_results` items.
 */
export interface ResponsesLike {
  model?: string;
  status?: string;
  output?: unknown[];
  usage?: Record<string, unknown>;
  incomplete_details?: { reason?: string } | null;
}

export interface NormalizedResponses {
  text: string;
  citations: Citation[];
  sources: { url: string; title: string | null; domain: string }[];
  searchQueries: string[];
  usage: Usage;
  finishReason: string | null;
  servedModel: string | null;
  refused: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export class MalformedResponseError extends Error {}

export function normalizeResponses(data: unknown): NormalizedResponses {
  if (!isObj(data) || !Array.isArray(data.output)) throw new MalformedResponseError('the response has no output list');
  const texts: string[] = [];
  const citations = new CitationList();
  const sources = new Map<string, { url: string; title: string | null; domain: string }>();
  const queries: string[] = [];
  let refused = false;
  let searchCalls = 0;

  for (const item of data.output) {
    if (!isObj(item)) continue;
    if (item.type === 'message' && Array.isArray(item.content)) {
      for (const part of item.content) {
        if (!isObj(part)) continue;
        if (part.type === 'refusal') {
          refused = true;
          continue;
        }
        if (part.type !== 'output_text' || typeof part.text !== 'string') continue;
        const text = part.text;
        for (const a of Array.isArray(part.annotations) ? part.annotations : []) {
          if (!isObj(a) || a.type !== 'url_citation' || typeof a.url !== 'string') continue;
          const start = num(a.start_index);
          const end = num(a.end_index);
          const cited = start !== null && end !== null && start >= 0 && end <= text.length && start < end ? text.slice(start, end) : undefined;
          citations.add(a.url, str(a.title), cited);
        }
        texts.push(text);
      }
    } else if (item.type === 'web_search_call') {
      searchCalls++;
      const action = isObj(item.action) ? item.action : {};
      const q = str(action.query);
      if (q) queries.push(q);
      if (Array.isArray(action.queries)) for (const x of action.queries) if (typeof x === 'string') queries.push(x);
      for (const s of Array.isArray(action.sources) ? action.sources : []) {
        if (isObj(s) && typeof s.url === 'string' && !sources.has(s.url)) sources.set(s.url, { url: s.url, title: str(s.title), domain: domainOf(s.url) });
      }
    } else if (item.type === 'search_results') {
      searchCalls++;
      for (const q of Array.isArray(item.queries) ? item.queries : []) if (typeof q === 'string') queries.push(q);
      for (const r of Array.isArray(item.results) ? item.results : []) {
        if (isObj(r) && typeof r.url === 'string' && !sources.has(r.url)) sources.set(r.url, { url: r.url, title: str(r.title), domain: domainOf(r.url) });
      }
    }
  }

  const u = isObj(data.usage) ? data.usage : {};
  const inDetails = isObj(u.input_tokens_details) ? u.input_tokens_details : {};
  const outDetails = isObj(u.output_tokens_details) ? u.output_tokens_details : {};
  const text = texts.join('\n\n');
  const cited = citations.list();
  return {
    text,
    citations: cited,
    sources: [...sources.values()].filter((s) => !citations.has(s.url)),
    searchQueries: [...new Set(queries)],
    usage: {
      input_tokens: num(u.input_tokens),
      output_tokens: num(u.output_tokens),
      cached_input_tokens: num(inDetails.cached_tokens),
      reasoning_tokens: num(outDetails.reasoning_tokens),
      search_calls: searchCalls,
      total_tokens: num(u.total_tokens),
    },
    finishReason: refused ? 'refused' : text === '' ? 'empty' : (str(data.incomplete_details && isObj(data.incomplete_details) ? data.incomplete_details.reason : null) ?? str(data.status) ?? null),
    servedModel: str(data.model),
    refused,
  };
}
