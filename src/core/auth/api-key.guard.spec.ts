import { Reflector } from '@nestjs/core';
import type { ExecutionContext } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { AppException } from '../errors/app.exception';
import { ApiKeyGuard, presentedKey } from './api-key.guard';

const context = (headers: Record<string, string>, isPublic = false): ExecutionContext =>
  ({
    getHandler: () => (isPublic ? 'public' : 'private'),
    getClass: () => 'cls',
    switchToHttp: () => ({ getRequest: () => ({ headers }) }),
  }) as unknown as ExecutionContext;

describe('ApiKeyGuard', () => {
  const reflector = { getAllAndOverride: (_key: string, [handler]: string[]) => handler === 'public' } as unknown as Reflector;
  const guard = new ApiKeyGuard(reflector, { apiKeys: ['first-key-123', 'second-key-456'] } as unknown as AppConfig);

  it('lets any configured key through, in either header', () => {
    expect(guard.canActivate(context({ 'x-api-key': 'second-key-456' }))).toBe(true);
    expect(guard.canActivate(context({ authorization: 'Bearer first-key-123' }))).toBe(true);
    expect(guard.canActivate(context({ authorization: 'bearer   first-key-123  ' }))).toBe(true);
  });

  it('refuses a missing, wrong, truncated or extended key with a 401 AppException', () => {
    for (const headers of [{} as Record<string, string>, { 'x-api-key': 'first-key-12' }, { 'x-api-key': 'first-key-1234' }, { authorization: 'first-key-123' }, { authorization: 'Basic first-key-123' }]) {
      expect(() => guard.canActivate(context(headers))).toThrow(AppException);
    }
  });

  it('opens @Public() routes', () => {
    expect(guard.canActivate(context({}, true))).toBe(true);
  });

  it('reads X-API-Key before Authorization', () => {
    expect(presentedKey({ headers: { 'x-api-key': 'a', authorization: 'Bearer b' } })).toBe('a');
  });
});
