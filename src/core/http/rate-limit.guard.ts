import { CanActivate, ExecutionContext, HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import type Redis from 'ioredis';
import { createHash } from 'node:crypto';
import { presentedKey } from '../auth/api-key.guard';
import { IS_PUBLIC } from '../auth/public.decorator';
import { AppConfig } from '../config/app-config';
import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-code';
import { REDIS } from '../redis/redis.module';

/**
 * GCRA (the generic cell rate algorithm, as in Redis' redis-cell and Stripe's limiter): one key per
 * API key holding the "theoretical arrival time" of the next request. `limit` requests a minute,
 * up to `limit` of them at once, then one per 60/limit seconds; no fixed window whose edge lets
 * twice the limit through. Redis' own clock, so every API process agrees.
 * Returns {allowed, remaining, retry_after_ms, reset_ms}.
 */
const GCRA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2]) * interval
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local new_tat = tat + interval
if new_tat - now > burst then
  return {0, 0, new_tat - now - burst, tat - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil(new_tat - now))
return {1, math.floor((burst - (new_tat - now)) / interval), 0, new_tat - now}
`;

/**
 * Per-key request rate limit (API_RATE_LIMIT_PER_MINUTE, 0 = off), shared by every API process
 * through Redis. Over the limit: 429 problem details with Retry-After; every answer carries
 * RateLimit-Limit / -Remaining / -Reset. Keys are identified by a hash, never stored or logged.
 * Written here rather than with @nestjs/throttler: its Redis storages need peers that do not
 * resolve with Nest 11 (docs/stack.md), and the whole algorithm is the one script above.
 * If Redis fails, requests pass (logged): the limit protects the service, an outage must not
 * turn into a refusal of every request.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly logger = new Logger('RateLimit');
  private readonly limit: number;
  private readonly prefix: string;
  private lastWarn = 0;

  constructor(
    private readonly reflector: Reflector,
    config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {
    this.limit = config.http.rateLimitPerMinute;
    this.prefix = `${config.redis.queuePrefix}:ratelimit:`;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.limit <= 0) return true;
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    // The key guard ran first: the key is present and valid.
    const id = createHash('sha256').update(presentedKey(req) ?? '', 'utf8').digest('hex').slice(0, 32);
    let result: [number, number, number, number];
    try {
      result = (await this.redis.eval(GCRA, 1, `${this.prefix}${id}`, String(60_000 / this.limit), String(this.limit))) as [number, number, number, number];
    } catch (err) {
      if (Date.now() - this.lastWarn > 10_000) {
        this.lastWarn = Date.now();
        this.logger.warn({ err: (err as Error).message }, `rate limit not checked (Redis): ${(err as Error).message}`);
      }
      return true;
    }
    const [allowed, remaining, retryAfterMs, resetMs] = result.map(Number);
    res.setHeader('RateLimit-Limit', String(this.limit));
    res.setHeader('RateLimit-Remaining', String(Math.max(0, remaining)));
    res.setHeader('RateLimit-Reset', String(Math.ceil(resetMs / 1000)));
    if (allowed === 1) return true;
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    throw new AppException(ErrorCode.RateLimited, HttpStatus.TOO_MANY_REQUESTS, `More than ${this.limit} requests a minute with this API key; retry in ${seconds} s`, undefined, {
      'Retry-After': String(seconds),
    });
  }
}
