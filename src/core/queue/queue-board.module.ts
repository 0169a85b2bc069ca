import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { BullBoardModule } from '@bull-board/nestjs';
import { HttpStatus, Module } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { keyMatcher, presentedKey } from '../auth/api-key.guard';
import { AppConfig } from '../config/app-config';
import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-code';
import { ALL_QUEUES } from './queue-names';

export const QUEUE_BOARD_ROUTE = 'admin/queues';

/**
 * The key a browser can send too: X-API-Key, Authorization: Bearer, or Basic auth with the API key
 * as the password (a browser asks for it once, on the 401's Basic challenge).
 */
function boardKey(req: Request): string | undefined {
  const auth = req.headers.authorization;
  const basic = typeof auth === 'string' ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(auth) : null;
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : decoded;
  }
  return presentedKey(req);
}

export function queueBoardAuth(config: AppConfig): (req: Request, res: Response, next: NextFunction) => void {
  const matches = keyMatcher(config.apiKeys);
  return (req, _res, next) => {
    const key = boardKey(req);
    if (key && matches(key)) return next();
    // Express' error path ends in the one problem-details filter (configureApp).
    next(
      new AppException(
        ErrorCode.Unauthorized,
        HttpStatus.UNAUTHORIZED,
        'The queue dashboard needs an API key: X-API-Key, Authorization: Bearer, or Basic auth with the key as the password',
        undefined,
        { 'WWW-Authenticate': 'Basic realm="geo-visibility-engine queues", charset="UTF-8"' },
      ),
    );
  };
}

/**
 * Bull Board at /admin/queues: every queue's jobs (waiting, active, delayed, failed), with retry
 * and clean actions, behind the API keys. API only (ApiModule).
 */
@Module({
  imports: [
    BullBoardModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({ route: QUEUE_BOARD_ROUTE, adapter: ExpressAdapter, middleware: queueBoardAuth(config), boardOptions: { uiConfig: { boardTitle: 'GEO queues' } } }),
    }),
    BullBoardModule.forFeature(...ALL_QUEUES.map((name) => ({ name, adapter: BullMQAdapter }))),
  ],
})
export class QueueBoardModule {}
