import { Transform } from 'class-transformer';
import { ValidateIf } from 'class-validator';

/** Trims strings (and leaves other types for the validators to refuse). */
export const Trim = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));

/**
 * A brand or competitor domain as people paste it ("https://www.Acme.example/pricing") becomes the
 * host name ("acme.example"); the FQDN validator then checks what is left.
 */
export function normalizeDomain(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  let v = value.trim().toLowerCase();
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(v)) {
    try {
      v = new URL(v).hostname;
    } catch {
      return value;
    }
  }
  return v.replace(/\/.*$/, '').replace(/^www\./, '').replace(/\.$/, '');
}

export const NormalizeDomains = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (Array.isArray(value) ? value.map(normalizeDomain) : value));

export const TrimEach = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (Array.isArray(value) ? value.map((v: unknown) => (typeof v === 'string' ? v.trim() : v)) : value));

/** Optional, but not nullable: `undefined` skips validation, `null` is validated (and refused). */
export const IsOptionalNotNull = (): PropertyDecorator => ValidateIf((_obj: object, value: unknown) => value !== undefined);
