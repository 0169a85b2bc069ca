import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE, ProblemDetailsDto } from '../errors/problem-details';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (field list in `errors`)',
  401: 'Missing or invalid API key',
  404: 'Unknown id',
  409: 'Conflict with the current state',
  413: 'Body or upload too large',
  415: 'Unsupported media type',
  422: 'Idempotency-Key reused with another request',
  429: 'Rate limit exceeded',
  500: 'Unexpected error (logged with its stack)',
};

/** Documents the problem-details answers of a route (401 and 500 are added to every route). */
export function ApiProblems(...statuses: number[]): MethodDecorator & ClassDecorator {
  const all = [...new Set([...statuses, 401, 500])].sort();
  return applyDecorators(
    ApiExtraModels(ProblemDetailsDto),
    ...all.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? 'Error',
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemDetailsDto) } } },
      }),
    ),
  );
}
