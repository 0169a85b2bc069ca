import { CallHandler, ExecutionContext, HttpStatus, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type Redis from 'ioredis';
import { from, Observable, of, throwError } from 'rxjs';
import { catchError, mergeMap, switchMap } from 'rxjs/operators';
import { presentedKey } from '../auth/api-key.guard';
import { AppConfig } from '../config/app-config';
import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-code';
import { REDIS } from '../redis/redis.module';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
const VALID_KEY = /^[\x21-\x7e]{1,255}$/;
const PENDING_TTL_MS = 10 * 60_000;

interface Stored {
  state: 'pending' | 'done';
  fingerprint: string | null;
  body?: unknown;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/**
 * `Idempotency-Key` on POST: the first request's answer is kept in Redis (per API key, route and
 * key) and a repeat gets the same answer, with `Idempotent-Replayed: true`, without running the
 * handler again. A repeat while the first is still running is a 409; the same key with a different
 * JSON body is a 422. Errors are not kept, so a refused request can be fixed and sent again with
 * its key. Bodies the route streams itself (imports, uploads) are matched by key alone.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly config: AppConfig,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const key = req.headers['idempotency-key'];
    if (req.method !== 'POST' || key === undefined) return next.handle();
    if (typeof key !== 'string' || !VALID_KEY.test(key)) {
      return throwError(() => AppException.validation('Idempotency-Key must be 1-255 visible ASCII characters', [{ field: IDEMPOTENCY_HEADER, message: 'invalid' }]));
    }
    const owner = sha256(presentedKey(req) ?? '');
    const redisKey = `${this.config.redis.queuePrefix}:idem:${owner}:${sha256(`${req.method} ${req.path} ${key}`)}`;
    const parsed = req.body !== undefined && req.body !== null && typeof req.body === 'object' && Object.keys(req.body as object).length > 0;
    const fingerprint = parsed ? sha256(JSON.stringify(req.body)) : null;
    const ttl = this.config.http.idempotencyTtlSeconds;

    return from(this.claim(redisKey, fingerprint)).pipe(
      switchMap((stored) => {
        if (stored) {
          if (stored.state === 'pending') {
            throw new AppException(ErrorCode.Conflict, HttpStatus.CONFLICT, 'a request with this Idempotency-Key is still being processed; retry later');
          }
          if (stored.fingerprint && fingerprint && stored.fingerprint !== fingerprint) {
            throw new AppException(ErrorCode.IdempotencyKeyReused, HttpStatus.UNPROCESSABLE_ENTITY, 'this Idempotency-Key was used with a different request body');
          }
          res.setHeader('Idempotent-Replayed', 'true');
          return of(stored.body);
        }
        return next.handle().pipe(
          mergeMap(async (body: unknown) => {
            const done: Stored = { state: 'done', fingerprint, body };
            await this.redis.set(redisKey, JSON.stringify(done), 'EX', ttl);
            return body;
          }),
          catchError((err: unknown) =>
            from(this.redis.del(redisKey).catch(() => 0)).pipe(
              mergeMap(() => throwError(() => err)),
            ),
          ),
        );
      }),
    );
  }

  /** Null when this request now owns the key; else what is stored under it. */
  private async claim(redisKey: string, fingerprint: string | null): Promise<Stored | null> {
    const pending: Stored = { state: 'pending', fingerprint };
    const won = await this.redis.set(redisKey, JSON.stringify(pending), 'PX', PENDING_TTL_MS, 'NX');
    if (won === 'OK') return null;
    const raw = await this.redis.get(redisKey);
    if (raw === null) return this.claim(redisKey, fingerprint); // expired in between: try again
    return JSON.parse(raw) as Stored;
  }
}
