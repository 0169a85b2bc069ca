/**
 * Keys that no request body may use. `__proto__` survives JSON.parse as an own key and becomes a
 * prototype-pollution vector as soon as something copies the object; `constructor` and
 * `prototype` crash class-transformer (plainToInstance calls `value.constructor` as a class),
 * which would turn a client's body into a 500.
 */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export class ForbiddenKeyError extends SyntaxError {
  constructor(key: string) {
    super(`"${key}" is not allowed as a key`);
    this.name = 'ForbiddenKeyError';
  }
}

/** A JSON.parse reviver that refuses the forbidden keys anywhere in the document. */
export function rejectForbiddenKeys(key: string, value: unknown): unknown {
  if (FORBIDDEN_KEYS.has(key)) throw new ForbiddenKeyError(key);
  return value;
}

/** The first forbidden key anywhere in an already parsed value, if any. */
export function findForbiddenKey(value: unknown, depth = 0): string | undefined {
  if (depth > 64 || typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (const v of value) {
      const k = findForbiddenKey(v, depth + 1);
      if (k) return k;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    if (FORBIDDEN_KEYS.has(k)) return k;
    const nested = findForbiddenKey(v, depth + 1);
    if (nested) return nested;
  }
  return undefined;
}
