import { isCommonWord } from './common-words';
import { hostOf, parseHost } from './domains';
import { isNotKnownByReference, isNotKnownStatement } from './not-known';
import { charAt, charBefore, clauseSpans, type FoldedView, fold, foldBare, foldedView, hasDiacritics, isNoSpaceScript, isWordChar, type Span, sentenceSpans, spanAt } from './text';

/**
 * Mention detection: which tracked brands (the campaign's brand and its competitors) an answer
 * mentions, where first, and in what order. The rules, with examples, are in docs/ANALYSIS.md.
 * Pure: no I/O; a brand list is compiled once and reused across answers.
 */

export interface TrackedBrand {
  name: string;
  aliases: string[];
  domains: string[];
}

export interface BrandMention {
  name: string;
  mentioned: boolean;
  /** 1 + the number of mentioned tracked brands whose first mention comes earlier; null if not mentioned. */
  rank: number | null;
  /** Counted occurrences. */
  count: number;
  /** Offset (UTF-16) of the first counted occurrence in the answer. */
  first_offset: number | null;
  /** The brand appears only in statements that the engine does not know it. */
  not_known: boolean;
}

export interface Occurrence extends Span {
  brand: number;
  kind: 'name' | 'domain';
}

interface NameTerm {
  brand: number;
  /** As the campaign wrote it: its capitals are the evidence an ambiguous term needs. */
  raw: string;
  re: RegExp;
  bare: boolean;
  ambiguous: boolean;
  /** Starts / ends with a character of a script written without spaces (no word boundary there). */
  openStart: boolean;
  openEnd: boolean;
  dotted: boolean;
}

export interface CompiledBrands {
  brands: TrackedBrand[];
  names: NameTerm[];
  domains: { brand: number; domain: string }[];
  needsExact: boolean;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whitespace in a term matches any run of it; a hyphen any dash or a space; an apostrophe its look-alikes. */
function termPattern(folded: string): string {
  return folded
    .trim()
    .split(/(\s+|[-\u2010-\u2015]|['’ʼ])/u)
    .map((part) => {
      if (/^\s+$/u.test(part)) return '\\s+';
      if (/^[-\u2010-\u2015]$/u.test(part)) return '[\\s\\-\\u2010-\\u2015]+';
      if (/^['’ʼ]$/u.test(part)) return "['’ʼ]";
      return escapeRe(part);
    })
    .join('');
}

/**
 * A single word that is very short or a common English word ("Box", "Close", "Notion") is
 * ambiguous: it names the brand only with evidence (docs/ANALYSIS.md, rule 6).
 */
export function isAmbiguousTerm(term: string): boolean {
  const t = term.trim();
  if (/[\s.\d]/u.test(t)) return false;
  // With its diacritics: "Nestlé" is a name, "nestle" a verb.
  const letters = fold(t).replace(/[^\p{L}]/gu, '');
  return letters.length <= 3 || isCommonWord(letters);
}

const looksLikeDomain = (term: string): string | null => (/^[^\s]+\.[^\s]+$/u.test(term.trim()) ? parseHost(term.trim(), true) : null);

const compiled = new Map<string, CompiledBrands>();

export function compileBrands(brands: TrackedBrand[]): CompiledBrands {
  const key = JSON.stringify(brands);
  const hit = compiled.get(key);
  if (hit) return hit;
  const names: NameTerm[] = [];
  const domains: { brand: number; domain: string }[] = [];
  brands.forEach((b, brand) => {
    const seen = new Set<string>();
    for (const raw of [b.name, ...b.aliases]) {
      const t = (raw ?? '').trim();
      if (!t || seen.has(fold(t))) continue;
      seen.add(fold(t));
      const domain = looksLikeDomain(t);
      if (domain) domains.push({ brand, domain });
      const bare = !hasDiacritics(t);
      const folded = bare ? foldBare(t) : fold(t);
      const first = charAt(folded, 0);
      const last = charBefore(folded, folded.length);
      names.push({
        brand,
        raw: t.normalize('NFKC'),
        re: new RegExp(termPattern(folded), 'gu'),
        bare,
        ambiguous: isAmbiguousTerm(t),
        openStart: isNoSpaceScript(first),
        openEnd: isNoSpaceScript(last),
        dotted: t.includes('.'),
      });
    }
    for (const d of b.domains) {
      const host = parseHost(d);
      if (host && !domains.some((x) => x.brand === brand && x.domain === host)) domains.push({ brand, domain: host });
    }
  });
  const out = { brands, names, domains, needsExact: names.some((n) => !n.bare) };
  if (compiled.size >= 64) compiled.delete(compiled.keys().next().value as string);
  compiled.set(key, out);
  return out;
}

interface LinkToken extends Span {
  host: string;
}

/**
 * Host names and URLs written in the text ("acme.com", "https://x.io/acme-review", "sales@acme.com"),
 * kept only when the public suffix list knows their ending, so "Node.js" or "e.g." are not hosts.
 */
const LINK =
  /(?<![\p{L}\p{N}.\-_/])(?:(?:https?:)?\/\/)?((?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,62}[\p{L}\p{N}])?\.)+\p{L}[\p{L}\p{N}-]{0,62})(?::\d{1,5})?(?:[/?#][^\s<>()[\]{}"'`|]*)?/giu;

function linkTokens(text: string): LinkToken[] {
  const out: LinkToken[] = [];
  LINK.lastIndex = 0;
  for (let m = LINK.exec(text); m; m = LINK.exec(text)) {
    const host = hostOf(m[1]);
    if (!host) continue;
    const raw = m[0].replace(/[.,;:!?'"*_]+$/u, '');
    out.push({ start: m.index, end: m.index + raw.length, host });
  }
  return out;
}

const isEmphasisLead = (linePrefix: string): boolean =>
  /(?:^\s*(?:>\s*)?(?:#{1,6}\s+|[-*+•]\s+|\d+[.)]\s+)|\|\s*)[*_~`"“'‘[(]*$/u.test(linePrefix) ||
  (linePrefix.match(/\*\*/g) ?? []).length % 2 === 1 ||
  (linePrefix.match(/__/g) ?? []).length % 2 === 1 ||
  /[*_]$/u.test(linePrefix) ||
  (linePrefix.match(/\[/g) ?? []).length > (linePrefix.match(/\]/g) ?? []).length ||
  /^\s*#{1,6}\s/u.test(linePrefix);

/** The written form carries the brand's capitals: "Close" for Close, "HP" for HP. */
function hasBrandCase(written: string, raw: string): boolean {
  const w = written.normalize('NFKC');
  const letters = raw.replace(/[^\p{L}]/gu, '');
  if (letters.length > 1 && letters === letters.toUpperCase() && letters !== letters.toLowerCase()) return w.replace(/[^\p{L}]/gu, '') === letters;
  return charAt(w, 0) === charAt(raw, 0);
}

interface Candidate extends Occurrence {
  ambiguous: boolean;
}

/** Every counted occurrence of every tracked brand, in text order, and the brands seen only in not-known statements. */
export function findOccurrences(text: string, c: CompiledBrands): { occurrences: Occurrence[]; notKnown: Set<number> } {
  const views: { bare: FoldedView; exact?: FoldedView } = { bare: foldedView(text, true) };
  if (c.needsExact) views.exact = foldedView(text, false);
  const links = linkTokens(text);
  const candidates: Candidate[] = [];

  for (const t of c.names) {
    const view = t.bare ? views.bare : (views.exact as FoldedView);
    t.re.lastIndex = 0;
    for (let m = t.re.exec(view.text); m; m = t.re.exec(view.text)) {
      const vs = m.index;
      const ve = vs + m[0].length;
      if (m[0].length === 0) {
        t.re.lastIndex++;
        continue;
      }
      const before = charBefore(view.text, vs);
      const after = charAt(view.text, ve);
      if (isWordChar(before) && !isNoSpaceScript(before) && !t.openStart) continue;
      if (isWordChar(after) && !isNoSpaceScript(after) && !t.openEnd) continue;
      const start = view.origin[vs];
      const end = view.origin[ve];
      if (!t.dotted && links.some((l) => start >= l.start && start < l.end)) continue;
      if (t.ambiguous && !hasBrandCase(text.slice(start, end), t.raw)) continue;
      candidates.push({ brand: t.brand, start, end, kind: 'name', ambiguous: t.ambiguous });
    }
  }
  for (const l of links) {
    for (const d of c.domains) {
      if (l.host === d.domain || l.host.endsWith(`.${d.domain}`)) candidates.push({ brand: d.brand, start: l.start, end: l.end, kind: 'domain', ambiguous: false });
    }
  }
  candidates.sort((a, b) => a.start - b.start || b.end - a.end || Number(a.ambiguous) - Number(b.ambiguous) || a.brand - b.brand);
  // One stretch of text names one brand once: "Acme CRM" is not also "Acme", and where two
  // brands' terms overlap ("Acme" and "Acme Cloud"), the longer term wins.
  const distinct: Candidate[] = [];
  for (const o of candidates) {
    const prev = distinct[distinct.length - 1];
    if (prev && o.start < prev.end && (o.brand === prev.brand || o.end <= prev.end)) continue;
    distinct.push(o);
  }

  let sentences: Span[] | undefined;
  const sentenceOf = (at: number): Span => {
    sentences ??= sentenceSpans(text);
    return spanAt(sentences, at) ?? { start: 0, end: text.length };
  };
  const notKnownAt = (o: Candidate): boolean => {
    const s = sentenceOf(o.start);
    const clause = spanAt(clauseSpans(text, s), o.start) ?? s;
    const soleBrand = !distinct.some((x) => x.brand !== o.brand && x.start >= clause.start && x.start < clause.end);
    return (
      isNotKnownStatement(text.slice(clause.start, clause.end), o.start - clause.start, o.end - clause.start, soleBrand) ||
      isNotKnownByReference(text.slice(s.start, s.end), o.end - s.start)
    );
  };

  const kept: Candidate[] = [];
  const denied = new Set<number>();
  for (const o of distinct) {
    if (notKnownAt(o)) denied.add(o.brand);
    else kept.push(o);
  }
  const unambiguous = new Set(kept.filter((o) => !o.ambiguous).map((o) => o.brand));
  const occurrences = kept.filter((o) => {
    if (!o.ambiguous || unambiguous.has(o.brand)) return true;
    const s = sentenceOf(o.start);
    if (/\p{L}/u.test(text.slice(s.start, o.start))) return true;
    const lineStart = text.lastIndexOf('\n', o.start - 1) + 1;
    return isEmphasisLead(text.slice(lineStart, o.start));
  });
  const mentioned = new Set(occurrences.map((o) => o.brand));
  const notKnown = new Set([...denied].filter((b) => !mentioned.has(b)));
  return { occurrences: occurrences.map(({ brand, start, end, kind }) => ({ brand, start, end, kind })), notKnown };
}

/** Mentions of each tracked brand (same order as `brands`), with ranks by first mention. */
export function detectMentions(text: string, brands: TrackedBrand[]): BrandMention[] {
  return mentionsFrom(findOccurrences(text, compileBrands(brands)), brands);
}

export function mentionsFrom(found: { occurrences: Occurrence[]; notKnown: Set<number> }, brands: TrackedBrand[]): BrandMention[] {
  const first = new Map<number, number>();
  const count = new Map<number, number>();
  for (const o of found.occurrences) {
    if (!first.has(o.brand)) first.set(o.brand, o.start);
    count.set(o.brand, (count.get(o.brand) ?? 0) + 1);
  }
  const order = [...first.entries()].sort((a, b) => a[1] - b[1] || a[0] - b[0]).map(([b]) => b);
  return brands.map((b, i) => {
    const at = first.get(i);
    return {
      name: b.name,
      mentioned: at !== undefined,
      rank: at === undefined ? null : order.indexOf(i) + 1,
      count: count.get(i) ?? 0,
      first_offset: at ?? null,
      not_known: found.notKnown.has(i),
    };
  });
}
