import type { ProviderName } from '../core/config/app-config';

/** Every Redis key the runs feature uses, under the app's QUEUE_PREFIX (so a deployment or a test owns all of them). */
export class RunKeys {
  constructor(private readonly prefix: string) {}

  /** Serializes a run's lifecycle changes (start, resume, cancel, finish) across API and worker processes. */
  runLock = (runId: string): string => `${this.prefix}:lock:run:${runId}`;
  summary = (runId: string): string => `${this.prefix}:run:${runId}:summary`;
  /** A paid-for answer waiting for its database write. */
  paid = (idempotencyKey: string): string => `${this.prefix}:paid:${idempotencyKey}`;
  /** Held while an item's provider call is in flight, so a duplicated job never calls twice. */
  inflight = (idempotencyKey: string): string => `${this.prefix}:inflight:${idempotencyKey}`;
  /** Cross-run response reuse (RESPONSE_CACHE_TTL_SECONDS). */
  cache = (requestKey: string): string => `${this.prefix}:response-cache:${requestKey}`;
  bucketPrefix = (): string => `${this.prefix}:ratelimit`;
  bucketName = (provider: ProviderName): string => provider;
}
