/**
 * A first, deliberately plain analysis of an answer: whole-word, case- and Unicode-folded matching
 * of the brand's and competitors' names, aliases and domains; the rank of the brand's first mention
 * among all tracked brands; the domains cited. Pure (no I/O). Issue 6 refines the rules (negations
 * such as "I couldn't find Acme", short common-word brands, sentiment, registrable domains) and
 * bumps ANALYSIS_VERSION so stored answers can be re-scored.
 */
export const ANALYSIS_VERSION = 'v0';

export interface TrackedBrand {
  name: string;
  aliases: string[];
  domains: string[];
}

export interface AnalysisInput {
  brand: TrackedBrand;
  competitors: TrackedBrand[];
  text: string;
  citations: { url: string; domain: string }[];
}

export interface VisibilityAnalysis {
  version: string;
  brand_mentioned: boolean;
  brand_rank: number | null;
  top3: boolean;
  sentiment: string | null;
  competitors_mentioned: string[];
  cited_domains: string[];
  own_domain_cited: boolean;
  competitor_domains_cited: string[];
  [key: string]: unknown;
}

const fold = (s: string): string => s.normalize('NFKC').toLowerCase();
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Offset of the first whole-word occurrence of any term, or -1. */
export function firstMention(text: string, terms: string[]): number {
  const folded = fold(text);
  let best = -1;
  for (const term of terms.map((t) => fold(t).trim()).filter((t) => t.length > 0)) {
    // Letters and digits of any script are word characters: "Pineapple" never matches "Apple".
    const re = new RegExp(`(?<![\\p{L}\\p{N}_])${escape(term)}(?![\\p{L}\\p{N}_])`, 'u');
    const m = re.exec(folded);
    if (m && (best < 0 || m.index < best)) best = m.index;
  }
  return best;
}

const domainOf = (d: string): string => fold(d).replace(/^www\./, '');
const citesDomain = (cited: string, own: string): boolean => cited === own || cited.endsWith(`.${own}`);

export function analyzeAnswer(input: AnalysisInput): VisibilityAnalysis {
  const terms = (b: TrackedBrand): string[] => [b.name, ...b.aliases, ...b.domains];
  const brandAt = firstMention(input.text, terms(input.brand));
  const competitorsAt = input.competitors.map((c) => ({ name: c.name, at: firstMention(input.text, terms(c)) })).filter((c) => c.at >= 0);
  const rank = brandAt < 0 ? null : 1 + competitorsAt.filter((c) => c.at < brandAt).length;
  const cited = [...new Set(input.citations.map((c) => domainOf(c.domain)))];
  const own = input.brand.domains.map(domainOf);
  const competitorDomains = input.competitors.flatMap((c) => c.domains.map(domainOf));
  return {
    version: ANALYSIS_VERSION,
    brand_mentioned: brandAt >= 0,
    brand_rank: rank,
    top3: rank !== null && rank <= 3,
    sentiment: null,
    competitors_mentioned: competitorsAt.sort((a, b) => a.at - b.at).map((c) => c.name),
    cited_domains: cited,
    own_domain_cited: cited.some((d) => own.some((o) => citesDomain(d, o))),
    competitor_domains_cited: cited.filter((d) => competitorDomains.some((o) => citesDomain(d, o))),
  };
}
