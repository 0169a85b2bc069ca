import type { IncomingHttpHeaders } from 'node:http';
import type { Answer } from '../answers';
import type { EmulatorConfig, ProviderName } from '../config';
import type { Rng } from '../random';

/** What every wire format exposes to the server: parse a request, build an answer, shape errors. */

export interface ParsedRequest {
  /** The model as the client named it (after preset resolution for Perplexity). */
  model: string;
  /** The user's text, all user turns joined. */
  prompt: string;
  instructions?: string;
  /** The request enabled the provider's search tool (or the model always searches). */
  search: boolean;
}

export type ProviderError =
  | { kind: 'unauthenticated' }
  | { kind: 'invalid_json' }
  | { kind: 'invalid_request'; message: string; param?: string }
  | { kind: 'model_not_found'; model: string }
  | { kind: 'rate_limited'; model: string; limit: number | null; retryAfterSeconds: number }
  | { kind: 'server_error'; status: 500 | 502 | 503 };

export interface ErrorReply {
  status: number;
  body: unknown;
}

export interface BuildContext {
  rng: Rng;
  servedModel: string;
  /** Unix seconds. */
  now: number;
  /** Base URL Gemini grounding redirects point at. */
  redirectBase: string;
}

export interface ParseContext {
  /** Model named in the URL path (Gemini), else null. */
  pathModel: string | null;
  config: EmulatorConfig;
}

export interface ProviderFormat<R extends ParsedRequest = ParsedRequest> {
  readonly provider: ProviderName;
  authenticated(headers: IncomingHttpHeaders, query: URLSearchParams): boolean;
  parse(body: unknown, ctx: ParseContext): R | ProviderError;
  build(answer: Answer, req: R, ctx: BuildContext): unknown;
  error(err: ProviderError): ErrorReply;
}

export function isProviderError(value: unknown): value is ProviderError {
  return typeof value === 'object' && value !== null && 'kind' in value && !('prompt' in value);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `Authorization: Bearer <anything non-empty>`, as OpenAI and Perplexity require. */
export function hasBearer(headers: IncomingHttpHeaders): boolean {
  const auth = headers.authorization;
  return typeof auth === 'string' && /^Bearer\s+\S+/i.test(auth);
}
