import { v7 } from 'uuid';

/**
 * App-generated ids (no database extension needed). UUIDv7 is time-ordered and monotonic within
 * a process, so ordering by id lists rows in creation order (a bulk import lists in file order)
 * and inserts stay at the right edge of the primary-key index.
 */
export const newId = (): string => v7();
