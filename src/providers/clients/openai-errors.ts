import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { codeForStatus, ProviderError, retryAfterMs } from '../provider.errors';
import type { ProviderName } from '../provider.types';
import { MalformedResponseError } from './responses-format';

/**
 * Classifies what the openai SDK throws (OpenAI and Perplexity share it). `timedOut` says whether
 * the call ran into its timeout: the SDK reports its own abort as a plain connection error when
 * the AbortError comes from another realm (as under Jest), so elapsed time decides as well.
 */
export function fromSdkError(provider: ProviderName, err: unknown, timedOut = false): ProviderError {
  if (err instanceof ProviderError) return err;
  if (err instanceof APIConnectionTimeoutError || (timedOut && err instanceof APIConnectionError)) return new ProviderError(provider, 'timeout', 'the request timed out');
  if (err instanceof APIConnectionError) return new ProviderError(provider, 'connection', `connection failed: ${err.message}`);
  if (err instanceof APIError && typeof err.status === 'number') {
    const body = JSON.stringify(err.error ?? '');
    return new ProviderError(provider, codeForStatus(err.status, `${err.message} ${body}`), err.message, err.status, retryAfterMs(err.headers as Headers | undefined));
  }
  if (err instanceof MalformedResponseError || err instanceof SyntaxError) {
    return new ProviderError(provider, 'malformed_response', `malformed response: ${err.message}`);
  }
  const message = err instanceof Error ? err.message : String(err);
  // Body-read failures (a socket reset mid-body) surface as plain errors from fetch.
  return new ProviderError(provider, /terminated|socket|ECONNRESET|aborted/i.test(message) ? 'connection' : 'malformed_response', message);
}
