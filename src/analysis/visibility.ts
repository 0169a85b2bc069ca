import { createHash } from 'node:crypto';
import { hostIsUnder, normalizeUrl, parseHost, registrableDomain } from './domains';
import { positionAdjustedWordShare } from './geo';
import { compileBrands, findOccurrences, mentionsFrom, type TrackedBrand } from './mentions';
import { brandSentiment } from './sentiment';
import { type Span, sentenceSpans } from './text';

export type { TrackedBrand } from './mentions';

/**
 * The analysis of one answer: mentions and rank of the brand and its competitors, sentiment toward
 * the brand, the citations with their registrable domains, and the GEO paper's position-adjusted
 * word count. Pure (no I/O). The rules are in docs/ANALYSIS.md.
 *
 * ANALYSIS_VERSION changes whenever a rule changes; `config_key` identifies the version together
 * with the campaign's brand, aliases, domains and competitors, so stored answers whose key differs
 * from the campaign's current one are stale and `POST /runs/{id}:rescore` recomputes them.
 */
export const ANALYSIS_VERSION = 'v1';

export interface AnalysisInput {
  brand: TrackedBrand;
  competitors: TrackedBrand[];
  text: string;
  citations: { url: string; domain?: string | null; title?: string | null; position?: number; cited_text?: string }[];
}

export interface AnalyzedCitation {
  position: number;
  url: string;
  host: string;
  /** Registrable domain (public suffix list). */
  domain: string;
  own: boolean;
  /** The competitor whose domain it is, or null. */
  competitor: string | null;
}

export interface VisibilityAnalysis {
  version: string;
  config_key: string;
  brand_mentioned: boolean;
  brand_rank: number | null;
  top3: boolean;
  brand_mentions: number;
  /** The brand appears only where the engine says it does not know it. */
  brand_not_known: boolean;
  sentiment: 'positive' | 'neutral' | 'negative' | null;
  sentiment_score: number | null;
  /** Competitors mentioned, in order of first mention. */
  competitors_mentioned: string[];
  competitors_not_known: string[];
  /** Every mentioned tracked brand with its rank and number of mentions, in rank order. */
  mentions: { name: string; is_brand: boolean; rank: number; count: number }[];
  citations: AnalyzedCitation[];
  citation_count: number;
  own_citation_count: number;
  first_own_citation_position: number | null;
  /** Distinct registrable domains cited, in order of first citation. */
  cited_domains: string[];
  own_domain_cited: boolean;
  /** Competitors whose domains are cited. */
  competitors_cited: string[];
  /** Share (0…1) of the answer's position-weighted words in sentences citing the brand's domains (GEO). */
  position_adjusted_word_count: number;
  [key: string]: unknown;
}

/** Identifies the analysis rules and the campaign's tracked brands an analysis was made with. */
export function analysisConfigKey(brand: TrackedBrand, competitors: TrackedBrand[]): string {
  const canon = (b: TrackedBrand) => ({ name: b.name, aliases: [...b.aliases].sort(), domains: [...b.domains].map((d) => d.toLowerCase()).sort() });
  const body = JSON.stringify({ v: ANALYSIS_VERSION, brand: canon(brand), competitors: competitors.map(canon).sort((a, b) => a.name.localeCompare(b.name)) });
  return `${ANALYSIS_VERSION}:${createHash('sha256').update(body).digest('hex').slice(0, 16)}`;
}

const CITATION_MARKER = /\[(\d{1,3})\]/g;

export function analyzeAnswer(input: AnalysisInput): VisibilityAnalysis {
  const text = input.text ?? '';
  const brands = [input.brand, ...input.competitors];
  const found = findOccurrences(text, compileBrands(brands));
  const mentions = mentionsFrom(found, brands);
  const brandMention = mentions[0];
  const sentences = sentenceSpans(text);
  const sentiment = brandMention.mentioned ? brandSentiment(text, found.occurrences, 0, sentences) : null;

  const own = input.brand.domains.map((d) => parseHost(d)).filter((d): d is string => d !== null);
  const competitorDomains = input.competitors.flatMap((c) => c.domains.map((d) => ({ name: c.name, domain: parseHost(d) }))).filter((x): x is { name: string; domain: string } => x.domain !== null);
  const seen = new Set<string>();
  const citations: AnalyzedCitation[] = [];
  const spans: { own: boolean; text?: string; url: string }[] = [];
  input.citations.forEach((c, i) => {
    const url = normalizeUrl(c.url);
    // Grounding redirects (Gemini) carry the source's host in `domain`, not in the URL.
    const host = (c.domain && parseHost(c.domain)) || parseHost(c.url) || '';
    const isOwn = host !== '' && own.some((d) => hostIsUnder(host, d));
    if (!seen.has(url)) {
      seen.add(url);
      const competitor = host ? (competitorDomains.find((d) => hostIsUnder(host, d.domain))?.name ?? null) : null;
      citations.push({ position: c.position ?? i + 1, url, host, domain: host ? registrableDomain(host) : '', own: isOwn, competitor });
    }
    spans.push({ own: isOwn, text: c.cited_text, url: c.url });
  });
  const ownPositions = new Set(citations.filter((c) => c.own).map((c) => c.position));
  const ownSpans = spans.filter((s) => s.own);
  const citesOwn = (s: Span): boolean => {
    const sentence = text.slice(s.start, s.end);
    for (const m of sentence.matchAll(CITATION_MARKER)) if (ownPositions.has(Number(m[1]))) return true;
    return ownSpans.some((o) => sentence.includes(o.url) || (o.text !== undefined && o.text.trim().length > 0 && (sentence.includes(o.text.trim()) || o.text.includes(sentence.trim()))));
  };

  const ranked = mentions
    .map((m, i) => ({ m, i }))
    .filter(({ m }) => m.mentioned)
    .sort((a, b) => (a.m.rank ?? 0) - (b.m.rank ?? 0));
  const ownCitations = citations.filter((c) => c.own);
  return {
    version: ANALYSIS_VERSION,
    config_key: analysisConfigKey(input.brand, input.competitors),
    brand_mentioned: brandMention.mentioned,
    brand_rank: brandMention.rank,
    top3: brandMention.rank !== null && brandMention.rank <= 3,
    brand_mentions: brandMention.count,
    brand_not_known: brandMention.not_known,
    sentiment: sentiment?.label ?? null,
    sentiment_score: sentiment?.score ?? null,
    competitors_mentioned: ranked.filter(({ i }) => i > 0).map(({ m }) => m.name),
    competitors_not_known: mentions.filter((m, i) => i > 0 && m.not_known).map((m) => m.name),
    mentions: ranked.map(({ m, i }) => ({ name: m.name, is_brand: i === 0, rank: m.rank as number, count: m.count })),
    citations,
    citation_count: citations.length,
    own_citation_count: ownCitations.length,
    first_own_citation_position: ownCitations[0]?.position ?? null,
    cited_domains: [...new Set(citations.map((c) => c.domain).filter((d) => d !== ''))],
    own_domain_cited: ownCitations.length > 0,
    competitors_cited: [...new Set(citations.map((c) => c.competitor).filter((n): n is string => n !== null))],
    position_adjusted_word_count: ownCitations.length > 0 ? Math.round(positionAdjustedWordShare(text, sentences, citesOwn) * 10000) / 10000 : 0,
  };
}
