import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppException } from './app.exception';
import { ERROR_TITLES, ErrorCode } from './error-code';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE, ProblemDetailsDto } from './problem-details';

const STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  400: ErrorCode.ValidationFailed,
  401: ErrorCode.Unauthorized,
  403: ErrorCode.Forbidden,
  404: ErrorCode.RouteNotFound,
  405: ErrorCode.MethodNotAllowed,
  409: ErrorCode.Conflict,
  413: ErrorCode.PayloadTooLarge,
  415: ErrorCode.UnsupportedMediaType,
  429: ErrorCode.RateLimited,
  503: ErrorCode.ServiceUnavailable,
};

/** Errors raised by body-parser / multer before a route runs carry `type` or `code` and a status. */
interface MiddlewareError {
  status?: number;
  statusCode?: number;
  type?: string;
  code?: string;
  expose?: boolean;
  message?: string;
}

function fromMiddleware(err: MiddlewareError): AppException | undefined {
  const status = err.status ?? err.statusCode;
  if (!status || status < 400 || status >= 500 || err.expose === false) return undefined;
  switch (err.type) {
    case 'entity.parse.failed':
      return new AppException(ErrorCode.MalformedBody, status, `Malformed JSON body: ${err.message ?? ''}`.trim());
    case 'entity.too.large':
      return new AppException(ErrorCode.PayloadTooLarge, status, 'The request body is larger than this server accepts');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppException(ErrorCode.UnsupportedMediaType, status, err.message ?? 'Unsupported encoding');
    default:
      return new AppException(
        STATUS_CODES[status] ?? ErrorCode.ValidationFailed,
        status,
        err.message ?? ERROR_TITLES[STATUS_CODES[status] ?? ErrorCode.ValidationFailed],
      );
  }
}

function fromHttpException(ex: HttpException): AppException {
  const status = ex.getStatus();
  const body = ex.getResponse();
  let detail = ex.message;
  if (typeof body === 'object' && body !== null && 'message' in body) {
    const m = (body).message;
    detail = Array.isArray(m) ? m.join('; ') : String(m);
  }
  const code = STATUS_CODES[status] ?? (status >= 500 ? ErrorCode.Internal : ErrorCode.ValidationFailed);
  return new AppException(code, status, detail);
}

/**
 * The one exception filter: every error leaves as application/problem+json. Unknown errors are
 * 500 and logged with their stack; their message is not sent to the client.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request & { id?: string }>();
    const res = ctx.getResponse<Response>();
    const problem = this.toAppException(exception);

    if (problem.status >= 500) {
      const err = exception instanceof Error ? exception : new Error(String(exception));
      this.logger.error({ err, path: req.originalUrl, method: req.method }, `Unhandled error: ${err.message}`);
    }
    if (res.headersSent) {
      // A streamed answer failed half-way: nothing valid can be written any more.
      res.destroy();
      return;
    }
    res.status(problem.status);
    for (const [name, value] of Object.entries(problem.headers ?? {})) res.setHeader(name, value);
    res.type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(toProblemBody(problem, req)));
  }

  private toAppException(exception: unknown): AppException {
    if (exception instanceof AppException) return exception;
    if (exception instanceof HttpException) return fromHttpException(exception);
    const mw = typeof exception === 'object' && exception !== null ? fromMiddleware(exception) : undefined;
    if (mw) return mw;
    const unstorable = fromUnstorableText(exception);
    if (unstorable) return unstorable;
    return new AppException(ErrorCode.Internal, HttpStatus.INTERNAL_SERVER_ERROR, 'An unexpected error occurred; it has been logged');
  }
}

/**
 * Text PostgreSQL cannot store, whichever route sent it: a NUL character (U+0000) in a text column
 * (22021) or in a JSON document (22P05). The statement was refused, so nothing was written; the
 * client sent it, so it is a 400, not a 500.
 */
function fromUnstorableText(exception: unknown): AppException | undefined {
  const e = exception as { code?: string; driverError?: { code?: string } } | null;
  const code = e?.code ?? e?.driverError?.code;
  if (code !== '22021' && code !== '22P05') return undefined;
  return new AppException(ErrorCode.ValidationFailed, HttpStatus.BAD_REQUEST, 'The request holds a character that cannot be stored (U+0000, NUL); remove it and send it again');
}

export function toProblemBody(problem: AppException, req: Request & { id?: string }): ProblemDetailsDto {
  const body: ProblemDetailsDto = {
    type: `${PROBLEM_TYPE_BASE}${problem.code}`,
    title: ERROR_TITLES[problem.code],
    status: problem.status,
    detail: problem.detail,
    instance: req.originalUrl ?? req.url,
    code: problem.code,
    request_id: String(req.id ?? ''),
  };
  if (problem.errors && problem.errors.length > 0) body.errors = problem.errors;
  return body;
}
