import { getQueueToken } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bullmq';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ALL_QUEUES } from '../queue/queue-names';

/** Circuit-breaker states as a gauge's values. */
export const CIRCUIT_STATE_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

/**
 * Every Prometheus metric of a process (prom-client), in its own registry: the API serves it at
 * /metrics, the worker on METRICS_PORT. Names follow Prometheus' conventions (base units, `_total`
 * for counters); labels are bounded (route templates, never raw URLs; providers and models).
 */
@Injectable()
export class AppMetrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'geo_http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly providerDuration = new Histogram({
    name: 'geo_provider_call_duration_seconds',
    help: 'Provider call duration by provider, model and outcome (ok or the error code)',
    labelNames: ['provider', 'model', 'outcome'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 60, 120],
    registers: [this.registry],
  });

  readonly providerCalls = new Counter({
    name: 'geo_provider_calls_total',
    help: 'Provider calls by provider, model and outcome (ok or the error code)',
    labelNames: ['provider', 'model', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly providerTokens = new Counter({
    name: 'geo_provider_tokens_total',
    help: 'Tokens by provider, model and direction (input, output)',
    labelNames: ['provider', 'model', 'direction'] as const,
    registers: [this.registry],
  });

  readonly providerCost = new Counter({
    name: 'geo_provider_cost_usd_total',
    help: 'Cost of provider calls in US dollars, by provider and model',
    labelNames: ['provider', 'model'] as const,
    registers: [this.registry],
  });

  readonly jobDuration = new Histogram({
    name: 'geo_job_duration_seconds',
    help: 'Queue job duration by queue, job name and outcome',
    labelNames: ['queue', 'name', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  readonly rateLimitWait = new Histogram({
    name: 'geo_rate_limit_wait_seconds',
    help: "Time run items waited for a token of their provider's shared rate limit",
    labelNames: ['provider'] as const,
    buckets: [0, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly cacheHits = new Counter({
    name: 'geo_response_cache_hits_total',
    help: 'Answers reused from the response cache instead of a provider call',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });

  readonly runItems = new Counter({
    name: 'geo_run_items_total',
    help: 'Run items by provider and outcome: succeeded, failed (for good), retried (a retryable error, tried again); code is the error code',
    labelNames: ['provider', 'outcome', 'code'] as const,
    registers: [this.registry],
  });

  readonly exports = new Counter({
    name: 'geo_exports_total',
    help: 'Export jobs by target (the format, or the mapper) and outcome: succeeded, failed, retried',
    labelNames: ['target', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly circuitState = new Gauge({
    name: 'geo_circuit_breaker_state',
    help: "A provider's circuit breaker in this process: 0 closed, 1 half-open, 2 open",
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });

  constructor(private readonly moduleRef: ModuleRef) {
    collectDefaultMetrics({ register: this.registry, prefix: 'geo_' });
    const queues = (): Queue[] =>
      ALL_QUEUES.map((name) => {
        try {
          return this.moduleRef.get<Queue>(getQueueToken(name), { strict: false });
        } catch {
          return null;
        }
      }).filter((q): q is Queue => q !== null);
    new Gauge({
      name: 'geo_queue_jobs',
      help: 'Jobs in each queue by state (read from Redis when scraped)',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        await Promise.all(
          queues().map(async (q) => {
            const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized', 'waiting-children');
            for (const [state, n] of Object.entries(counts)) this.set({ queue: q.name, state }, n);
          }),
        );
      },
    });
  }

  /** Times a promise into a histogram, labelled with its outcome. */
  async timed<T>(h: Histogram<string>, labels: Record<string, string>, fn: () => Promise<T>, outcomeOf: (err: unknown) => string = () => 'error'): Promise<T> {
    const end = h.startTimer(labels);
    try {
      const r = await fn();
      end({ outcome: 'ok' });
      return r;
    } catch (err) {
      end({ outcome: outcomeOf(err) });
      throw err;
    }
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
