import { HttpStatus, ParseUUIDPipe, Param, ValidationError, ValidationPipe } from '@nestjs/common';
import { AppException, ProblemItem } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-code';

/** Flattens nested class-validator errors into `{field: "competitors.0.name", message}` items. */
export function toProblemItems(errors: ValidationError[], prefix = ''): ProblemItem[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({
      field,
      // class-validator's whitelist message reads "property x should not exist"; say it plainly.
      message: message.startsWith('property ') ? `unknown field "${field}"` : message,
    }));
    return [...own, ...toProblemItems(e.children ?? [], field)];
  });
}

/** The global pipe: transforms DTOs, refuses unknown fields, answers 400 with the field list. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transformOptions: { enableImplicitConversion: false },
    exceptionFactory: (errors) => {
      const items = toProblemItems(errors);
      const fields = [...new Set(items.map((i) => i.field))].join(', ');
      return new AppException(ErrorCode.ValidationFailed, HttpStatus.BAD_REQUEST, `Invalid fields: ${fields}`, items);
    },
  });
}

/** The pipe behind UuidParam, for routes that chain another pipe after it. */
export const uuidPipe = (name: string): ParseUUIDPipe =>
  new ParseUUIDPipe({
    exceptionFactory: () =>
      new AppException(ErrorCode.ValidationFailed, HttpStatus.BAD_REQUEST, `Path parameter "${name}" must be a UUID`, [
        { field: name, message: 'must be a UUID' },
      ]),
  });

/** A path parameter that must be a UUID: a malformed one is a 400 problem, never a 404 or 500. */
export const UuidParam = (name: string): ParameterDecorator => Param(name, uuidPipe(name));
