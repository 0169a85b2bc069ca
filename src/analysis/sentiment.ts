import type { Occurrence } from './mentions';
import { clauseSpans, type Span, sentenceSpans, spanAt } from './text';

/**
 * Sentiment toward the brand, from the sentences that mention it, with wink-sentiment (AFINN-165
 * and an emoji lexicon, with negation handling: "not great" scores negative; no network, no model,
 * the same answer always gets the same label).
 *
 * Only what is said about the brand counts: in a sentence that names other tracked brands too, only
 * the clauses that name the brand ("Acme is great, but Globex is slow" is positive for Acme), and
 * every tracked brand's name is masked before scoring, so a brand called "Happy Socks" or "Best
 * Buy" is not positive by name. AFINN is a general lexicon; a few words that carry sentiment in
 * product comparisons ("pricey", "clunky", "lacks", "intuitive") are added below. English only:
 * answers in other languages mostly come out neutral (docs/ANALYSIS.md).
 */

interface WinkToken {
  value: string;
  tag: string;
  score?: number;
  negation?: boolean;
}
type Wink = (phrase: string) => { score: number; normalizedScore: number; tokenizedPhrase: WinkToken[] };
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the package ships no types
const wink = require('wink-sentiment') as Wink;

/** Product-review words AFINN does not score, with AFINN-like weights (-5…5). */
const REVIEW_LEXICON: Record<string, number> = {
  affordable: 2,
  intuitive: 2,
  'user-friendly': 2,
  robust: 2,
  powerful: 2,
  scalable: 1,
  reliable: 2,
  seamless: 2,
  versatile: 2,
  recommended: 2,
  standout: 2,
  pricey: -2,
  overpriced: -3,
  expensive: -1,
  clunky: -2,
  buggy: -2,
  outdated: -2,
  lacks: -2,
  lacking: -2,
  limited: -1,
  cumbersome: -2,
  steep: -1,
  sluggish: -2,
  unreliable: -2,
  discontinued: -2,
  breach: -2,
  breaches: -2,
  outage: -2,
  outages: -2,
};
const NEGATORS = new Set(['not', 'no', 'never', "n't", 'without', 'hardly', 'barely', 'nor', 'neither', 'cannot']);

export type SentimentLabel = 'positive' | 'neutral' | 'negative';

export interface BrandSentiment {
  label: SentimentLabel;
  /** Mean score of the scored segments (wink's normalized score, about -5…5). */
  score: number;
  segments: number;
}

/** Score of one segment: wink's, plus the review words, negated when a negator precedes them closely. */
export function scoreSegment(segment: string): number {
  const r = wink(segment);
  let total = r.score;
  let scored = r.tokenizedPhrase.filter((t) => t.score !== undefined).length;
  const words = r.tokenizedPhrase.filter((t) => t.tag === 'word');
  words.forEach((t, i) => {
    const w = REVIEW_LEXICON[t.value.toLowerCase()];
    if (w === undefined || t.score !== undefined) return;
    const negated = words.slice(Math.max(0, i - 3), i).some((p) => NEGATORS.has(p.value.toLowerCase()));
    total += negated ? -w : w;
    scored++;
  });
  return scored === 0 ? 0 : total / scored;
}

export const labelOf = (score: number): SentimentLabel => (score >= 0.5 ? 'positive' : score <= -0.5 ? 'negative' : 'neutral');

/**
 * The brand's sentiment from its counted occurrences (brand index `brand` in `occurrences`);
 * null when the brand is not mentioned.
 */
export function brandSentiment(text: string, occurrences: Occurrence[], brand: number, sentences: Span[] = sentenceSpans(text)): BrandSentiment | null {
  const own = occurrences.filter((o) => o.brand === brand);
  if (own.length === 0) return null;
  const segments = new Map<number, Span>();
  for (const o of own) {
    const s = spanAt(sentences, o.start) ?? { start: 0, end: text.length };
    const others = occurrences.some((x) => x.brand !== brand && x.start >= s.start && x.start < s.end);
    const seg = others ? (spanAt(clauseSpans(text, s), o.start) ?? s) : s;
    segments.set(seg.start, seg);
  }
  let total = 0;
  for (const seg of segments.values()) {
    let masked = text.slice(seg.start, seg.end);
    // Mask every tracked brand's occurrence, right to left so offsets stay valid.
    for (const o of [...occurrences].reverse()) {
      if (o.start >= seg.start && o.end <= seg.end) masked = `${masked.slice(0, o.start - seg.start)}X${masked.slice(o.end - seg.start)}`;
    }
    total += scoreSegment(masked);
  }
  const score = Math.round((total / segments.size) * 1000) / 1000;
  return { label: labelOf(score), score, segments: segments.size };
}
