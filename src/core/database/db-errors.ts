/** A unique constraint refused a write: the thing already exists. */
export class DuplicateError extends Error {
  constructor(readonly constraint: string | undefined) {
    super(`duplicate key (${constraint ?? 'unknown constraint'})`);
    this.name = 'DuplicateError';
  }
}

/** A foreign key refused a write or a delete: something refers to it, or it refers to nothing. */
export class ReferenceViolationError extends Error {
  constructor(readonly constraint: string | undefined) {
    super(`foreign key violation (${constraint ?? 'unknown constraint'})`);
    this.name = 'ReferenceViolationError';
  }
}

/** Maps Postgres unique (23505) and foreign-key (23503) violations to the errors above. */
export function translateDbError(err: unknown): unknown {
  const e = err as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e.code ?? e.driverError?.code;
  const constraint = e.constraint ?? e.driverError?.constraint;
  if (code === '23505') return new DuplicateError(constraint);
  if (code === '23503') return new ReferenceViolationError(constraint);
  return err;
}

export async function translated<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    throw translateDbError(err);
  }
}
