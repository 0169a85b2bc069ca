import { Inject, Injectable, Logger } from '@nestjs/common';
import { DelayedError, Job } from 'bullmq';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { analyzeAnswer } from '../analysis/visibility';
import { trackedBrands } from './tracked-brands';
import { CampaignRepository, type Campaign } from '../campaigns';
import { AppMetrics } from '../core/metrics/app-metrics';
import { AppConfig } from '../core/config/app-config';
import { REDIS } from '../core/redis/redis.module';
import { ProviderError, ProvidersService, type ProviderResult } from '../providers';
import { RedisTokenBucket } from './rate-limiter';
import { requestKey } from './run-identity';
import { RunItemRepository, StoredAnalysis, WorkUnit } from './run-item.repository';
import { RunKeys } from './run-keys';
import { Run, RunRepository } from './run.repository';
import { RunsService } from './runs.service';

/** Token waits up to this long are slept in place; longer ones (a Retry-After pause) hand the job back to the queue. */
const MAX_INLINE_WAIT_MS = 1000;
const CAMPAIGN_CACHE_MS = 5_000;

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export type ItemOutcome = 'succeeded' | 'failed' | 'skipped' | 'stored';

/**
 * The exponential backoff with jitter of a run item's retries, in ms: half of base·2^(n-1) plus a
 * random other half (so a burst of failures does not retry in lockstep), capped, and never sooner
 * than the provider's Retry-After.
 */
export function retryDelay(attemptsMade: number, err: unknown, base: number, max: number, random = Math.random): number {
  const exp = Math.min(max, base * 2 ** Math.max(0, attemptsMade - 1));
  const delay = Math.round(exp / 2 + random() * (exp / 2));
  const retryAfter = err instanceof ProviderError && err.retryAfterMs !== undefined ? err.retryAfterMs : 0;
  return Math.max(delay, Math.min(retryAfter, max));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Executes one run item (the worker's hot path), so that no item is ever paid for twice:
 * 1. claim the item in the database (a terminal or cancelled item ends here);
 * 2. a paid-for answer kept in Redis (an earlier attempt paid, then the database write failed) is
 *    stored without a new call; so is a reusable answer from another run when the cache is on;
 * 3. hold the item's in-flight key in Redis, so a duplicated job waits instead of calling;
 * 4. take a token from the provider's shared bucket (waiting without spending an attempt);
 * 5. call the provider behind its circuit breaker;
 * 6. keep the answer in Redis, analyse it, store answer and status in one statement, and finish
 *    the run when it was the last item.
 * Retryable errors are rethrown for BullMQ's backoff; permanent ones, and the last attempt, fail
 * the item (the dead-letter state, resumable).
 */
@Injectable()
export class RunItemExecutor {
  private readonly logger = new Logger('RunItems');
  private readonly keys: RunKeys;
  private readonly bucket: RedisTokenBucket;
  private readonly runCache = new Map<string, Run>();
  private readonly campaignCache = new Map<string, { at: number; campaign: Campaign }>();

  constructor(
    private readonly items: RunItemRepository,
    private readonly runs: RunRepository,
    private readonly campaigns: CampaignRepository,
    private readonly providers: ProvidersService,
    private readonly runsService: RunsService,
    private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly metrics: AppMetrics,
  ) {
    this.keys = new RunKeys(config.redis.queuePrefix);
    this.bucket = new RedisTokenBucket(redis, this.keys.bucketPrefix());
  }

  backoff = (attemptsMade: number, _type?: string, err?: Error): number =>
    retryDelay(attemptsMade, err, this.config.runs.retryBaseMs, this.config.runs.retryMaxMs);

  async execute(job: Job, token: string | undefined, itemId: string): Promise<ItemOutcome> {
    const unit = await this.items.claim(itemId);
    if (!unit) return 'skipped';
    const run = await this.run(unit.runId);
    const setting = run.providerSettings[unit.settingIndex];
    const paidKey = this.keys.paid(unit.idempotencyKey);

    const paid = await this.redis.get(paidKey);
    if (paid) return this.store(unit, JSON.parse(paid) as ProviderResult, false, paidKey);

    const cacheTtl = this.config.runs.responseCacheTtlSeconds;
    const cacheKey = this.keys.cache(
      requestKey({
        questionId: unit.questionId,
        personaId: unit.persona?.id ?? null,
        provider: unit.provider,
        model: unit.model,
        promptVersion: run.promptVersion,
        questionText: unit.questionText,
        settings: setting.settings,
        sampleIndex: unit.sampleIndex,
      }),
    );
    if (cacheTtl > 0) {
      const cached = await this.redis.get(cacheKey);
      if (cached) {
        this.metrics.cacheHits.inc({ provider: unit.provider });
        return this.store(unit, { ...(JSON.parse(cached) as ProviderResult), cost_usd: 0, latency_ms: 0 }, true, null);
      }
    }

    const inflight = await this.holdInflight(unit);
    if (!inflight) {
      // Another job of the same item is calling the provider right now: come back later, no attempt spent.
      const wait = Math.max(200, await this.redis.pttl(this.keys.inflight(unit.idempotencyKey)));
      await this.items.requeue(unit.id);
      await job.moveToDelayed(Date.now() + wait, token);
      throw new DelayedError();
    }
    try {
      // The holder of the in-flight key before us may have paid and stored in the meantime.
      const paidMeanwhile = await this.redis.get(paidKey);
      if (paidMeanwhile) return await this.store(unit, JSON.parse(paidMeanwhile) as ProviderResult, false, paidKey);

      await this.waitForToken(job, token, unit);
      let result: ProviderResult;
      try {
        const request = this.providers.prepare(
          { provider: unit.provider, model: unit.model, settings: setting.settings },
          { question: unit.questionText, persona: unit.persona, topic: unit.topic },
          run.promptVersion,
        );
        result = await this.providers.invoke(request);
      } catch (err) {
        return await this.failed(job, unit, err);
      }
      // Paid for: kept before anything else can fail, so a retry stores it without a new call.
      await this.redis.set(paidKey, JSON.stringify(result), 'EX', this.config.runs.paidResultTtlSeconds);
      if (cacheTtl > 0) await this.redis.set(cacheKey, JSON.stringify(result), 'EX', cacheTtl);
      return await this.store(unit, result, false, paidKey);
    } finally {
      await inflight.release();
    }
  }

  private async run(runId: string): Promise<Run> {
    // A run's provider settings and prompt version never change once it exists.
    let run = this.runCache.get(runId);
    if (!run) {
      const found = await this.runs.findById(runId);
      if (!found) throw new Error(`run ${runId} of a run item does not exist`);
      run = found;
      if (this.runCache.size > 1000) this.runCache.clear();
      this.runCache.set(runId, run);
    }
    return run;
  }

  private async campaign(id: string): Promise<Campaign> {
    const hit = this.campaignCache.get(id);
    if (hit && Date.now() - hit.at < CAMPAIGN_CACHE_MS) return hit.campaign;
    const campaign = await this.campaigns.findById(id);
    if (!campaign) throw new Error(`campaign ${id} of a run item does not exist`);
    if (this.campaignCache.size > 1000) this.campaignCache.clear();
    this.campaignCache.set(id, { at: Date.now(), campaign });
    return campaign;
  }

  /** The item's in-flight key, renewed while the call lasts (a killed worker's key expires within one lock period). */
  private async holdInflight(unit: WorkUnit): Promise<{ release(): Promise<void> } | null> {
    const key = this.keys.inflight(unit.idempotencyKey);
    const owner = randomUUID();
    const ttl = this.config.runs.lockDurationMs;
    if ((await this.redis.set(key, owner, 'PX', ttl, 'NX')) !== 'OK') return null;
    const renew = setInterval(() => {
      this.redis.eval(RENEW, 1, key, owner, String(ttl)).catch(() => undefined);
    }, Math.max(100, Math.floor(ttl / 3)));
    renew.unref();
    return {
      release: async () => {
        clearInterval(renew);
        await this.redis.eval(RELEASE, 1, key, owner).catch(() => undefined);
      },
    };
  }

  /**
   * Waits for a token of the provider's bucket, shared by every worker. Short waits are slept
   * here; a long one (the provider's Retry-After paused the bucket) delays the job until the pause
   * ends, spread over half a second so the jobs do not all wake at once. Neither spends an attempt.
   */
  private async waitForToken(job: Job, token: string | undefined, unit: WorkUnit): Promise<void> {
    const limits = this.config.providers[unit.provider];
    const started = Date.now();
    for (;;) {
      const { granted, waitMs } = await this.bucket.take(this.keys.bucketName(unit.provider), { qps: limits.qps, burst: limits.burst });
      if (granted) {
        this.metrics.rateLimitWait.observe({ provider: unit.provider }, (Date.now() - started) / 1000);
        return;
      }
      if (waitMs > MAX_INLINE_WAIT_MS) {
        await this.items.requeue(unit.id);
        await job.moveToDelayed(Date.now() + waitMs + Math.floor(Math.random() * 500), token);
        throw new DelayedError();
      }
      await sleep(waitMs);
    }
  }

  private async failed(job: Job, unit: WorkUnit, err: unknown): Promise<ItemOutcome> {
    const e = err instanceof ProviderError ? err : new ProviderError(unit.provider, 'malformed_response', err instanceof Error ? err.message : String(err));
    if (e.code === 'rate_limited' && e.retryAfterMs) await this.bucket.pause(this.keys.bucketName(unit.provider), e.retryAfterMs);
    const attempts = job.opts.attempts ?? 1;
    const last = job.attemptsMade + 1 >= attempts;
    const log = { run_id: unit.runId, run_item_id: unit.id, job_id: job.id, provider: unit.provider, code: e.code, attempt: job.attemptsMade + 1 };
    const message = `${e.code}${e.status ? ` (HTTP ${e.status})` : ''}: ${e.message}`;
    if (e.retryable && !last) {
      this.metrics.runItems.inc({ provider: unit.provider, outcome: 'retried', code: e.code });
      await this.items.recordRetry(unit.id, message);
      this.logger.debug(log, `retryable provider error: ${e.message}`);
      throw e;
    }
    await this.items.fail(unit.id, e.retryable ? `${message} (gave up after ${attempts} attempts)` : message);
    this.metrics.runItems.inc({ provider: unit.provider, outcome: 'failed', code: e.code });
    this.logger.warn(log, `run item failed: ${message}`);
    await this.runsService.finishIfDone(unit.runId);
    return 'failed';
  }

  private async store(unit: WorkUnit, result: ProviderResult, cacheHit: boolean, paidKey: string | null): Promise<ItemOutcome> {
    const campaign = await this.campaign(unit.campaignId);
    const analysis: StoredAnalysis = analyzeAnswer({
      ...trackedBrands(campaign),
      text: result.text,
      citations: result.citations,
    });
    const stored = await this.items.complete(unit, result, analysis, cacheHit);
    if (paidKey) await this.redis.del(paidKey);
    if (!stored) this.logger.debug({ run_id: unit.runId, run_item_id: unit.id }, 'item already had its answer');
    else this.metrics.runItems.inc({ provider: unit.provider, outcome: 'succeeded', code: '' });
    await this.runsService.finishIfDone(unit.runId);
    return stored ? 'succeeded' : 'stored';
  }
}
