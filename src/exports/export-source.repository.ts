import type { ExportCitation, ExportRecord } from './export-record';

/**
 * A run's items as export records, in item order (ids are UUIDv7: creation order), read with a
 * database cursor so that memory holds one batch however large the run. The full-schema adapter
 * joins run_items, questions, topics, personas and responses; the compat one reads `results`.
 */
export abstract class ExportSourceRepository {
  abstract records(runId: string, campaign: { id: string; name: string }, opts: { raw: boolean }): AsyncGenerator<ExportRecord>;
}

/** A column or JSON value as text ('' when absent). */
export const text = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : JSON.stringify(v));
export const textOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : text(v));

/** Every timestamp of an export in one format (ISO 8601, UTC, milliseconds), whatever the mode stored. */
export const isoOrNull = (v: unknown): string | null => {
  if (v === null || v === undefined || v === '') return null;
  const d = v instanceof Date ? v : new Date(text(v));
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
};

export const numOrNull = (v: unknown): number | null => {
  if (v === null || v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};

/** A cost as the full schema stores it (numeric(14,8)), so both modes export the same figure. */
export const costOrNull = (v: unknown): number | null => {
  const n = numOrNull(v);
  return n === null ? null : Math.round(n * 1e8) / 1e8;
};

/** Citations as the contract shows them, from what a provider client stored. */
export function exportCitations(v: unknown): ExportCitation[] {
  const list = Array.isArray(v) ? (v as Record<string, unknown>[]) : [];
  return list.map((c, i) => ({
    position: typeof c.position === 'number' ? c.position : i + 1,
    url: text(c.url),
    title: typeof c.title === 'string' ? c.title : null,
    domain: typeof c.domain === 'string' ? c.domain : '',
  }));
}
