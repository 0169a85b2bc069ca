import { createHash } from 'node:crypto';

const INVISIBLE = /[\u00AD\u200B-\u200D\u2060\uFEFF]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Lone surrogates replaced by U+FFFD, as PostgreSQL stores them (String.prototype.toWellFormed, which ES2023 typings lack). */
export const wellFormed = (text: string): string => text.replace(LONE_SURROGATE, '\ufffd');

/**
 * The comparison key of a name, title or question: Unicode NFKC, case-folded (upper then lower
 * folds "ß" to "ss" the way full case folding does), invisible characters removed, whitespace
 * collapsed. "  Acme\u00A0CRM " and "acme crm" get the same key.
 */
export function normalizeKey(text: string): string {
  // A lone surrogate is stored by Postgres as U+FFFD: key the text the way it will be stored.
  return wellFormed(text).normalize('NFKC').replace(INVISIBLE, '').toUpperCase().toLowerCase().replace(/\s+/g, ' ').trim();
}

/** Display text: NFC, invisible characters removed, trimmed, runs of spaces kept as one. */
export function cleanText(text: string): string {
  return wellFormed(text).normalize('NFC').replace(INVISIBLE, '').replace(/[ \t]+/g, ' ').trim();
}

export function sha256Hex(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000'), 'utf8').digest('hex');
}
