import { CanActivate, ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { AppConfig } from '../config/app-config';
import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-code';
import { IS_PUBLIC } from './public.decorator';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** The key from `X-API-Key` or `Authorization: Bearer`, if any. */
export function presentedKey(req: Pick<Request, 'headers'>): string | undefined {
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header.length > 0) return header;
  const auth = req.headers.authorization;
  const m = typeof auth === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
  return m?.[1];
}

/** Whether a presented key is one of the configured keys (constant-time against every one). */
export function keyMatcher(apiKeys: readonly string[]): (key: string) => boolean {
  const keys = apiKeys.map(digest);
  return (key: string): boolean => {
    const d = digest(key);
    let ok = false;
    for (const k of keys) ok = timingSafeEqual(d, k) || ok;
    return ok;
  };
}

/**
 * Every route needs a key from API_KEYS unless marked @Public(). Keys are compared as SHA-256
 * digests with timingSafeEqual against every configured key, so neither the length nor the
 * position of a mismatch nor which key matched shows in the timing.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly matches: (key: string) => boolean;

  constructor(
    private readonly reflector: Reflector,
    config: AppConfig,
  ) {
    this.matches = keyMatcher(config.apiKeys);
  }

  canActivate(context: ExecutionContext): boolean {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const req = context.switchToHttp().getRequest<Request>();
    const key = presentedKey(req);
    if (key !== undefined && this.matches(key)) return true;
    throw new AppException(
      ErrorCode.Unauthorized,
      HttpStatus.UNAUTHORIZED,
      key === undefined ? 'Send an API key in X-API-Key or Authorization: Bearer' : 'The API key is not valid',
      undefined,
      { 'WWW-Authenticate': 'Bearer realm="geo-visibility-engine"' },
    );
  }

}
