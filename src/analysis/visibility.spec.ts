import { normalizeUrl, parseHost, registrableDomain } from './domains';
import { positionAdjustedWordShare } from './geo';
import { detectMentions, isAmbiguousTerm, type TrackedBrand } from './mentions';
import { brandSentiment, scoreSegment } from './sentiment';
import { sentenceSpans } from './text';
import { analysisConfigKey, analyzeAnswer, ANALYSIS_VERSION } from './visibility';

const acme: TrackedBrand = { name: 'Acme CRM', aliases: ['Acme'], domains: ['acme.com'] };
const globex: TrackedBrand = { name: 'Globex', aliases: ['Globex Cloud'], domains: ['globex.io'] };
const close: TrackedBrand = { name: 'Close', aliases: [], domains: ['close.com'] };
const brands = [acme, globex, close];

const mentioned = (text: string, list: TrackedBrand[] = brands): string[] =>
  detectMentions(text, list)
    .filter((m) => m.mentioned)
    .sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0))
    .map((m) => m.name);

describe('mention detection', () => {
  it.each([
    ['possessive', "Acme's pipeline view is strong.", ['Acme CRM']],
    ['curly possessive', 'Acme’s pipeline view is strong.', ['Acme CRM']],
    ['bold', 'Try **Acme CRM** first.', ['Acme CRM']],
    ['numbered list with a dash', '1. Acme CRM — best for agencies', ['Acme CRM']],
    ['parentheses and hyphenation', 'An Acme-based stack (Globex) works.', ['Acme CRM', 'Globex']],
    ['full-width letters (NFKC)', 'ＡＣＭＥ is popular.', ['Acme CRM']],
    ['non-breaking space inside a name', 'Globex\u00a0Cloud is fast.', ['Globex']],
    ['a brand inside another word', 'Pineapple and Acmeology and Globex2 are not brands.', []],
    ['a plural-looking word', 'Acmes are everywhere.', []],
    ['domain in text', 'See acme.com for pricing.', ['Acme CRM']],
    ['subdomain and email', 'Log in at app.globex.io or write to sales@acme.com.', ['Globex', 'Acme CRM']],
    ['a look-alike domain', 'notacme.com and acme.com.au are other sites.', []],
    ['a brand inside another site’s URL path', 'Read https://reviews.io/acme-vs-globex for details.', []],
    ['Chinese text without spaces', '我推荐Acme因为它很好。', ['Acme CRM']],
  ])('%s', (_name, text, expected) => {
    expect(mentioned(text)).toEqual(expected);
  });

  it('matches accented text with a plain alias, but not a plain text with an accented name', () => {
    const citroen: TrackedBrand = { name: 'Citroën', aliases: ['Citroen'], domains: [] };
    const muller: TrackedBrand = { name: 'Müller', aliases: [], domains: [] };
    expect(mentioned('Der Citroën C4 und der Muller Joghurt.', [citroen, muller])).toEqual(['Citroën']);
    expect(mentioned('Müller yoghurt', [muller])).toEqual(['Müller']);
  });

  it('needs evidence for a common-word brand name', () => {
    expect(isAmbiguousTerm('Close')).toBe(true);
    expect(isAmbiguousTerm('Box')).toBe(true);
    expect(isAmbiguousTerm('Acme CRM')).toBe(false);
    expect(isAmbiguousTerm('Salesforce')).toBe(false);
    expect(mentioned('Close the deal quickly with a good follow-up.', [close])).toEqual([]);
    expect(mentioned('We should close the deal.', [close])).toEqual([]);
    expect(mentioned('We compared HubSpot and Close.', [close])).toEqual(['Close']);
    expect(mentioned('1. **Close** — a CRM for inside sales', [close])).toEqual(['Close']);
    expect(mentioned('Close is fast. Its site close.com lists prices.', [close])).toEqual(['Close']);
  });

  it('does not count statements that the engine does not know the brand, and records them', () => {
    const r = detectMentions("I couldn't find any information about Acme CRM, but Globex is a solid choice.", brands);
    expect(r[0]).toMatchObject({ mentioned: false, not_known: true, rank: null });
    expect(r[1]).toMatchObject({ mentioned: true, rank: 1 });
    for (const text of [
      "I'm not aware of a product called Acme.",
      'I do not have reliable information on Acme CRM.',
      'Acme CRM does not appear in my sources.',
      'Ich konnte keine Informationen über Acme finden.',
      "Je n'ai trouvé aucune information sur Acme.",
      'No encontré información sobre Acme CRM.',
    ]) {
      expect(detectMentions(text, brands)[0]).toMatchObject({ mentioned: false, not_known: true });
    }
  });

  it('counts ordinary negative statements as mentions', () => {
    for (const text of ['I would not recommend Acme for large teams.', "Acme doesn't offer a free plan.", "I couldn't find a better CRM than Acme."]) {
      expect(detectMentions(text, brands)[0]).toMatchObject({ mentioned: true, not_known: false });
    }
  });

  it('ranks tracked brands by first mention, and counts each stretch of text once', () => {
    const r = detectMentions('Globex leads. Then Acme CRM (acme.com), then Acme again, and Close follows.', brands);
    expect(r.map((m) => [m.name, m.rank, m.count])).toEqual([
      ['Acme CRM', 2, 3],
      ['Globex', 1, 1],
      ['Close', 3, 1],
    ]);
  });
});

describe('domains', () => {
  it('parses hosts through the public suffix list', () => {
    expect(parseHost('https://WWW.Acme.co.uk/x?y')).toBe('acme.co.uk');
    expect(registrableDomain('blog.acme.co.uk')).toBe('acme.co.uk');
    expect(registrableDomain('acme.github.io')).toBe('acme.github.io');
    expect(registrableDomain('en.wikipedia.org')).toBe('wikipedia.org');
    expect(parseHost('Node.js', true)).toBeNull();
    expect(parseHost('acme.example', true)).toBe('acme.example');
    expect(parseHost('10.0.0.1')).toBeNull();
  });

  it('normalizes URLs so that one source counts once', () => {
    expect(normalizeUrl('HTTPS://www.Acme.com:443/pricing/?utm_source=openai&b=2&a=1#top')).toBe('https://acme.com/pricing/?a=1&b=2');
    expect(normalizeUrl('https://acme.com/')).toBe('https://acme.com');
    expect(normalizeUrl('https://acme.com/blog/')).toBe('https://acme.com/blog');
    expect(normalizeUrl('not a url')).toBe('not a url');
  });
});

describe('sentiment', () => {
  it('scores what is said about the brand, deterministically', () => {
    expect(scoreSegment('X is a good, reliable choice.')).toBeGreaterThan(0);
    expect(scoreSegment('X is not great and support is terrible.')).toBeLessThan(0);
    expect(scoreSegment('X is a CRM.')).toBe(0);
    expect(scoreSegment('X is clunky and overpriced.')).toBeLessThan(0);
    expect(scoreSegment('X is not clunky.')).toBeGreaterThan(0);
  });

  it('reads only the clauses about the brand when a sentence names others', () => {
    const text = 'Acme is excellent, but Globex is terrible.';
    const a = analyzeAnswer({ brand: acme, competitors: [globex], text, citations: [] });
    expect(a.sentiment).toBe('positive');
    const g = analyzeAnswer({ brand: globex, competitors: [acme], text, citations: [] });
    expect(g.sentiment).toBe('negative');
  });

  it("does not score a brand's own name", () => {
    const happy: TrackedBrand = { name: 'Happy Socks', aliases: [], domains: [] };
    const text = 'Happy Socks sells socks.';
    const found = detectMentions(text, [happy]);
    expect(found[0].mentioned).toBe(true);
    expect(analyzeAnswer({ brand: happy, competitors: [], text, citations: [] }).sentiment).toBe('neutral');
    expect(brandSentiment(text, [], 0)).toBeNull();
  });
});

describe('position-adjusted word count (GEO)', () => {
  it('weighs earlier sentences more and is a share of the answer', () => {
    const text = 'One two three four. Five six seven eight.';
    const s = sentenceSpans(text);
    const first = positionAdjustedWordShare(text, s, (x) => x.start === 0);
    const second = positionAdjustedWordShare(text, s, (x) => x.start > 0);
    expect(first + second).toBeCloseTo(1, 12);
    expect(first).toBeCloseTo(1 / (1 + Math.exp(-1 / 2)), 12);
    expect(positionAdjustedWordShare('', [], () => true)).toBe(0);
  });
});

describe('analyzeAnswer', () => {
  const text = '1. **Globex** — fast.\n2. **Acme CRM** — great for agencies [1].\n\nAcme is reliable.';
  const citations = [
    { url: 'https://www.acme.com/pricing?utm_source=openai', domain: 'acme.com', position: 1, cited_text: 'great for agencies' },
    { url: 'https://acme.com/pricing', domain: 'acme.com', position: 2 },
    { url: 'https://vertexaisearch.cloud.google.com/grounding-api-redirect/abc', domain: 'docs.globex.io', position: 3 },
    { url: 'https://en.wikipedia.org/wiki/CRM', domain: 'en.wikipedia.org', position: 4 },
  ];
  const a = analyzeAnswer({ brand: acme, competitors: [globex, close], text, citations });

  it('ranks the brand among the tracked brands and flags the top three', () => {
    expect(a).toMatchObject({ version: ANALYSIS_VERSION, brand_mentioned: true, brand_rank: 2, top3: true, competitors_mentioned: ['Globex'], brand_mentions: 2 });
    expect(a.mentions.map((m) => [m.name, m.rank, m.is_brand])).toEqual([
      ['Globex', 1, false],
      ['Acme CRM', 2, true],
    ]);
    expect(a.sentiment).toBe('positive');
  });

  it('reads citations: normalized, deduplicated, registrable domains, own and competitor', () => {
    expect(a.citations.map((c) => [c.url, c.domain, c.own, c.competitor])).toEqual([
      ['https://acme.com/pricing', 'acme.com', true, null],
      ['https://vertexaisearch.cloud.google.com/grounding-api-redirect/abc', 'globex.io', false, 'Globex'],
      ['https://en.wikipedia.org/wiki/CRM', 'wikipedia.org', false, null],
    ]);
    expect(a).toMatchObject({ citation_count: 3, own_citation_count: 1, own_domain_cited: true, first_own_citation_position: 1, cited_domains: ['acme.com', 'globex.io', 'wikipedia.org'], competitors_cited: ['Globex'] });
    expect(a.position_adjusted_word_count).toBeGreaterThan(0);
    expect(a.position_adjusted_word_count).toBeLessThan(1);
  });

  it('answers an empty analysis for an empty answer', () => {
    const e = analyzeAnswer({ brand: acme, competitors: [globex], text: '', citations: [] });
    expect(e).toMatchObject({ brand_mentioned: false, brand_rank: null, top3: false, sentiment: null, competitors_mentioned: [], citation_count: 0, position_adjusted_word_count: 0 });
  });

  it('keys the analysis by version and tracked-brand configuration, not by their order', () => {
    expect(analysisConfigKey(acme, [globex, close])).toBe(analysisConfigKey(acme, [close, globex]));
    expect(analysisConfigKey(acme, [globex])).not.toBe(analysisConfigKey({ ...acme, aliases: [] }, [globex]));
    expect(a.config_key).toBe(analysisConfigKey(acme, [globex, close]));
  });
});
