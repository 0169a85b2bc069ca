import { type Span, wordCount } from './text';

/**
 * The position-adjusted word count of the GEO paper (Aggarwal et al., "GEO: Generative Engine
 * Optimization", 2023, §2.2.1): a citation's impression in an answer is the words of the sentences
 * that cite it, each sentence weighted by e^(-pos/|S|) where pos is its index among the answer's
 * |S| sentences, so that what comes first weighs more. As in the paper it is normalized, here by
 * the same sum over all sentences: the share (0…1) of the answer's position-weighted words that
 * cite the brand's own domains.
 */
export function positionAdjustedWordShare(text: string, sentences: Span[], cites: (s: Span) => boolean): number {
  const n = sentences.length;
  if (n === 0) return 0;
  let all = 0;
  let own = 0;
  sentences.forEach((s, pos) => {
    const w = wordCount(text.slice(s.start, s.end)) * Math.exp(-pos / n);
    all += w;
    if (cites(s)) own += w;
  });
  return all > 0 ? own / all : 0;
}
