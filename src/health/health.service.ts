import { getQueueToken } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HealthCheckService, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { Queue } from 'bullmq';
import type Redis from 'ioredis';
import { AppConfig } from '../core/config/app-config';
import { ALL_QUEUES } from '../core/queue/queue-names';
import { REDIS } from '../core/redis/redis.module';
import { HealthRepository } from './health.repository';

export interface ProbeResult {
  status: 'ok' | 'error';
  checks: Record<string, 'up' | 'down'>;
  errors?: Record<string, string>;
}

const CHECK_TIMEOUT_MS = 2000;

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Liveness (/healthz: database and Redis) and readiness (/readyz: also schema and queues) via terminus. */
@Injectable()
export class HealthService {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly repository: HealthRepository,
    private readonly config: AppConfig,
    private readonly moduleRef: ModuleRef,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  liveness(): Promise<ProbeResult> {
    return this.run([() => this.db(), () => this.redisCheck()]);
  }

  readiness(): Promise<ProbeResult> {
    return this.run([
      () => this.db(),
      () => this.redisCheck(),
      () => (this.config.db.compatMode ? this.compatTables() : this.migrations()),
      () => this.queues(),
    ]);
  }

  private async run(checks: (() => Promise<HealthIndicatorResult>)[]): Promise<ProbeResult> {
    let details: Record<string, { status: string; message?: string }>;
    try {
      details = (await this.health.check(checks)).details;
    } catch (err) {
      // terminus throws a ServiceUnavailableException whose response carries the same details.
      const body = (err as { getResponse?: () => unknown }).getResponse?.() as { details?: typeof details } | undefined;
      if (!body?.details) throw err;
      details = body.details;
    }
    const checksOut: ProbeResult['checks'] = {};
    const errors: Record<string, string> = {};
    for (const [name, d] of Object.entries(details)) {
      checksOut[name] = d.status === 'up' ? 'up' : 'down';
      if (d.status !== 'up') errors[name] = d.message ?? 'down';
    }
    const ok = Object.values(checksOut).every((s) => s === 'up');
    return ok ? { status: 'ok', checks: checksOut } : { status: 'error', checks: checksOut, errors };
  }

  private async guard(key: string, fn: () => Promise<string | void>): Promise<HealthIndicatorResult> {
    const session = this.indicator.check(key);
    try {
      const problem = await withTimeout(fn(), key);
      return problem ? session.down({ message: problem }) : session.up();
    } catch (err) {
      return session.down({ message: err instanceof Error ? err.message : String(err) });
    }
  }

  private db(): Promise<HealthIndicatorResult> {
    return this.guard('db', () => this.repository.ping());
  }

  private redisCheck(): Promise<HealthIndicatorResult> {
    return this.guard('redis', async () => {
      await this.redis.ping();
    });
  }

  private migrations(): Promise<HealthIndicatorResult> {
    return this.guard('migrations', async () => {
      const pending = await this.repository.pendingMigrations();
      return pending.length ? `pending migrations: ${pending.join(', ')} (apply artefacts/migrations.sql)` : undefined;
    });
  }

  private compatTables(): Promise<HealthIndicatorResult> {
    return this.guard('compat_tables', async () => {
      const missing = await this.repository.missingCompatTables();
      return missing.length ? `missing compat tables: ${missing.join(', ')} (apply artefacts/compat.sql)` : undefined;
    });
  }

  private queues(): Promise<HealthIndicatorResult> {
    return this.guard('queues', async () => {
      for (const name of ALL_QUEUES) {
        const queue = this.moduleRef.get<Queue>(getQueueToken(name), { strict: false });
        await queue.getJobCounts('waiting');
      }
    });
  }
}
