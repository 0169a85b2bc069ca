import { HttpStatus } from '@nestjs/common';
import { ErrorCode } from './error-code';

/** One item of a problem's `errors` list: where (field, line or row) and what. */
export interface ProblemItem {
  field?: string;
  line?: number;
  row?: number;
  message: string;
}

/** The one exception services throw; the global filter turns it into RFC 7807 problem details. */
export class AppException extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly status: HttpStatus,
    readonly detail: string,
    readonly errors?: ProblemItem[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail);
    this.name = 'AppException';
  }

  static notFound(what: string, id: string): AppException {
    return new AppException(ErrorCode.NotFound, HttpStatus.NOT_FOUND, `${what} ${id} does not exist`);
  }

  static conflict(detail: string): AppException {
    return new AppException(ErrorCode.Conflict, HttpStatus.CONFLICT, detail);
  }

  static validation(detail: string, errors?: ProblemItem[]): AppException {
    return new AppException(ErrorCode.ValidationFailed, HttpStatus.BAD_REQUEST, detail, errors);
  }
}
