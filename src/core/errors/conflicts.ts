import { AppException } from './app.exception';
import { DuplicateError, ReferenceViolationError } from '../database/db-errors';

/** Runs a write and turns storage-level conflicts (unique or foreign key) into 409 problems. */
export async function conflictsAs409<T>(write: Promise<T>, duplicate: string, inUse = 'it is still referenced'): Promise<T> {
  try {
    return await write;
  } catch (err) {
    if (err instanceof DuplicateError) throw AppException.conflict(duplicate);
    if (err instanceof ReferenceViolationError) throw AppException.conflict(inUse);
    throw err;
  }
}
