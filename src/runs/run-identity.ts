import { normalizeKey, sha256Hex } from '../core/text/normalize';

/** JSON with sorted keys, so that equal settings always hash the same. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export interface ItemIdentity {
  questionId: string;
  personaId: string | null;
  provider: string;
  model: string;
  promptVersion: string;
  questionText: string;
  settings: Record<string, unknown>;
  sampleIndex: number;
}

/**
 * What makes two requests the same request: question, persona, provider, model, prompt version,
 * normalized text, settings and sample. The item's idempotency key adds the run (one paid call
 * per item); the response cache key leaves it out (reuse across runs).
 */
export function requestKey(i: ItemIdentity): string {
  return sha256Hex(i.questionId, i.personaId ?? '', i.provider, i.model, i.promptVersion, normalizeKey(i.questionText), stableJson(i.settings), String(i.sampleIndex));
}

export function itemIdempotencyKey(runId: string, i: ItemIdentity): string {
  return sha256Hex(runId, requestKey(i));
}
