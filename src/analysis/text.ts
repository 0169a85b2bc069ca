/**
 * Text helpers for the analysis: folded views of an answer that keep a map back to the original
 * offsets, sentence and clause segmentation (ICU's, through Intl.Segmenter, so any language), and
 * the character classes the matching rules use. Pure functions, no I/O.
 */

/** Case- and compatibility-folded (NFKC, then lower case). */
export const fold = (s: string): string => s.normalize('NFKC').toLowerCase();

/** Folded and without diacritics ("Citroën" → "citroen"). */
export const foldBare = (s: string): string => fold(s).normalize('NFKD').replace(/\p{M}/gu, '').normalize('NFC');

export const hasDiacritics = (s: string): boolean => fold(s) !== foldBare(s);

/** A view of a text in which every UTF-16 unit points back at the original's offset. */
export interface FoldedView {
  text: string;
  /** origin[i] = offset in the original of view unit i; origin[text.length] = original length. */
  origin: Int32Array;
}

/**
 * Folds a text cluster by cluster (a base character with its combining marks), so that NFKC's
 * changes of length ("ﬁ" → "fi", "é" as e + U+0301 → "é") keep every view offset tied to the
 * original character it came from.
 */
export function foldedView(text: string, bare: boolean): FoldedView {
  const out: string[] = [];
  const origin: number[] = [];
  // Half-width katakana's voiced marks (U+FF9E, U+FF9F) are letters, not marks, but NFKC joins them
  // to the kana before them ("ｿﾞ" → "ゾ"): they belong to its cluster.
  const clusters = /[^\p{M}\uFF9E\uFF9F][\p{M}\uFF9E\uFF9F]*|[\p{M}\uFF9E\uFF9F]+/gsu;
  for (let m = clusters.exec(text); m; m = clusters.exec(text)) {
    const c = m[0];
    // ASCII needs no Unicode normalization: the common case, kept cheap.
    const f = c.length === 1 && c.charCodeAt(0) < 128 ? c.toLowerCase() : bare ? foldBare(c) : fold(c);
    out.push(f);
    for (let k = 0; k < f.length; k++) origin.push(m.index);
  }
  origin.push(text.length);
  return { text: out.join(''), origin: Int32Array.from(origin) };
}

/** Scripts written without spaces between words: there a term needs no word boundary. */
const NO_SPACE_SCRIPT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
/** Letters and digits of any script ("_" is not one: "__Acme__" is markdown emphasis). */
const WORD_CHAR = /[\p{L}\p{N}]/u;

export const isNoSpaceScript = (ch: string): boolean => ch !== '' && NO_SPACE_SCRIPT.test(ch);
export const isWordChar = (ch: string): boolean => ch !== '' && WORD_CHAR.test(ch);

/** The code point that ends just before `i` / starts at `i` ('' at the ends). */
export function charBefore(s: string, i: number): string {
  if (i <= 0) return '';
  const lo = s.charCodeAt(i - 1);
  if (i >= 2 && lo >= 0xdc00 && lo <= 0xdfff) return s.slice(i - 2, i);
  return s[i - 1];
}

export function charAt(s: string, i: number): string {
  if (i >= s.length) return '';
  const cp = s.codePointAt(i);
  return cp === undefined ? '' : String.fromCodePoint(cp);
}

export interface Span {
  start: number;
  end: number;
}

let sentenceSegmenter: Intl.Segmenter | undefined;
let wordSegmenter: Intl.Segmenter | undefined;

/** Sentences (UAX #29 through ICU: 。！？ and line breaks end sentences too), as spans of the text. */
export function sentenceSpans(text: string): Span[] {
  sentenceSegmenter ??= new Intl.Segmenter(undefined, { granularity: 'sentence' });
  const spans: Span[] = [];
  for (const s of sentenceSegmenter.segment(text)) {
    if (/[\p{L}\p{N}]/u.test(s.segment)) spans.push({ start: s.index, end: s.index + s.segment.length });
  }
  return spans;
}

/** Words (ICU's word boundaries, so Chinese and Japanese are counted by word, not by space). */
export function wordCount(text: string): number {
  wordSegmenter ??= new Intl.Segmenter(undefined, { granularity: 'word' });
  let n = 0;
  for (const w of wordSegmenter.segment(text)) if (w.isWordLike) n++;
  return n;
}

/**
 * Where a sentence turns from one subject to another (a full stop that ICU did not take for a
 * sentence end, before a lower-case brand such as "bunq", too) ("…, but Globex…", "; however", "—"): a
 * statement about one brand rarely carries across such a turn, in the languages we score.
 */
const CLAUSE_BREAK =
  /[.!?]\s+|\s*[;:—–]\s*|,?\s+(?:but|however|whereas|while|although|though|yet|instead|unlike|aber|jedoch|sondern|während|mais|cependant|tandis que|alors que|pero|sin embargo|mientras|ma|però|invece|mentre|mas|porém|enquanto|maar|echter|terwijl)\s+|,\s+(?:and|so|und|et|y|e|en)\s+/giu;

/** The clauses of a span of the text, as spans of the text. */
export function clauseSpans(text: string, span: Span): Span[] {
  const s = text.slice(span.start, span.end);
  const out: Span[] = [];
  let at = 0;
  CLAUSE_BREAK.lastIndex = 0;
  for (let m = CLAUSE_BREAK.exec(s); m; m = CLAUSE_BREAK.exec(s)) {
    if (m[0].length === 0) {
      CLAUSE_BREAK.lastIndex++;
      continue;
    }
    if (m.index > at) out.push({ start: span.start + at, end: span.start + m.index });
    at = m.index + m[0].length;
  }
  if (at < s.length) out.push({ start: span.start + at, end: span.end });
  return out;
}

/** The span in `spans` (sorted, disjoint) that contains offset `at`, by binary search. */
export function spanAt(spans: Span[], at: number): Span | undefined {
  let lo = 0;
  let hi = spans.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = spans[mid];
    if (at < s.start) hi = mid - 1;
    else if (at >= s.end) lo = mid + 1;
    else return s;
  }
  return undefined;
}

export function spanIndexAt(spans: Span[], at: number): number {
  const s = spanAt(spans, at);
  return s ? spans.indexOf(s) : -1;
}
