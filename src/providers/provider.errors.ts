import type { ProviderName } from './provider.types';

export type ProviderErrorCode =
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'connection'
  | 'malformed_response'
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'unknown_model'
  | 'circuit_open'
  | 'not_configured';

const RETRYABLE: ReadonlySet<ProviderErrorCode> = new Set(['rate_limited', 'server_error', 'timeout', 'connection', 'malformed_response', 'circuit_open']);

/**
 * A provider call that failed, classified: retryable (429 with its Retry-After, 5xx, timeouts,
 * connection resets, malformed bodies, an open circuit) or permanent (other 4xx, unknown model,
 * missing key). The queue decides what to do with it; the clients never retry on their own.
 */
export class ProviderError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly provider: ProviderName,
    readonly code: ProviderErrorCode,
    message: string,
    readonly status?: number,
    /** How long the provider asked us to wait (Retry-After), in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(`${provider}: ${message}`);
    this.name = 'ProviderError';
    this.retryable = RETRYABLE.has(code);
  }
}

/** Retry-After (seconds or an HTTP date) or retry-after-ms, in ms; undefined when absent or unreadable. */
export function retryAfterMs(headers: { get(name: string): string | null } | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.round(Number(ms));
  const value = headers.get('retry-after');
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The permanent or retryable class of an HTTP status from a provider. */
export function codeForStatus(status: number, body = ''): ProviderErrorCode {
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server_error';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return /model/i.test(body) ? 'unknown_model' : 'not_found';
  if (status === 408) return 'timeout';
  return 'bad_request';
}
