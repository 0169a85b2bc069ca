import type { BrandConfig } from './config';
import type { ContentMode } from './faults';
import { hexId, intBetween, pick, rngFor, shuffled, type Rng } from './random';

/**
 * Seeded answer generation, shared by the three wire formats: a few sentences of English prose
 * that answer the question generically and mention configured brands by chance (each brand's
 * `probability`), in varying order and phrasing, with citations to the brands' domains and to
 * neutral sites. Offsets here are UTF-16 code units (JavaScript string indices); the Gemini
 * format converts them to UTF-8 bytes. The prose deliberately carries non-ASCII characters
 * (curly quotes, em dashes, "Zürich", "café") so byte and character offsets differ.
 */

export interface AnswerSource {
  url: string;
  title: string;
  /** Host name as shown to users (no "www."), e.g. "g2.com" or "acme.example". */
  domain: string;
  snippet: string;
  /** Publication date, YYYY-MM-DD. */
  date: string;
  /** The brand whose domain this is, if any. */
  brand?: string;
}

/** A cited span: text.slice(start, end) is the sentence or list item the source supports. */
export interface AnswerCitation {
  source: number;
  start: number;
  end: number;
}

export type Sentiment = 'positive' | 'neutral' | 'negative';

export interface BrandMention {
  brand: string;
  /** The words used: the name, an alias or a domain. text.slice(start, end) === surface. */
  surface: string;
  start: number;
  end: number;
  sentiment: Sentiment;
}

export interface Answer {
  kind: 'answer' | 'refusal' | 'empty';
  text: string;
  /** Whether a web search happened (search output present even when the text is empty). */
  searched: boolean;
  queries: string[];
  /** Everything the search returned, cited or not, in result order. */
  sources: AnswerSource[];
  /** Sorted by start offset. */
  citations: AnswerCitation[];
  mentions: BrandMention[];
}

export interface AnswerRequest {
  seed: string;
  provider: string;
  model: string;
  prompt: string;
  instructions?: string;
  /** Distinguishes samples of the same question (X-Emulator-Seed, or the attempt number). */
  nonce: string;
  brands: readonly BrandConfig[];
  neutralDomains: readonly string[];
  /** The request enabled the provider's search tool. */
  search: boolean;
  mode: ContentMode;
}

const REFUSALS = [
  'I can’t help with that.',
  'I’m sorry, but I can’t help with that request.',
  "I'm sorry, I can't assist with that.",
];

const INTROS = [
  'There is no single answer to “{q}” — the right choice depends on budget, team size and the integrations you need.',
  'Short answer to “{q}”: it depends on your needs, but a few names come up again and again.',
  'For “{q}”, reviewers usually weigh pricing, ease of use and the quality of support.',
  'Based on recent reviews and comparisons, here’s how the landscape looks for “{q}”.',
  'Teams from Zürich to São Paulo ask “{q}”; the café-table consensus is that fit matters more than feature count.',
];

const LIST_HEADINGS = ['Commonly recommended options:', 'Options worth considering:', 'Here are the names that come up most often:'];

const LIST_ITEMS: Record<Sentiment, string[]> = {
  positive: [
    'an excellent choice for growing teams, praised for its onboarding',
    'highly rated for ease of use and fast, friendly support',
    'a standout option with strong automation features',
  ],
  neutral: [
    'a widely used option with a broad feature set',
    'a common pick that covers the basics well',
    'a solid, mid-priced option — fine for most teams',
  ],
  negative: [
    'often criticized for a clunky interface and slow support',
    'powerful but expensive, and reviewers report a steep learning curve',
    'a dated option that users say lags behind newer tools',
  ],
};

const INLINE: Record<Sentiment, string[]> = {
  positive: ['Many reviewers recommend {b} for its intuitive design.', '{b} stands out for reliability and value.', '{b} is frequently praised — especially by small teams.'],
  neutral: ['{b} is another option worth a look.', 'Some teams also use {b}.', '{b} is a common choice in this category.'],
  negative: [
    '{b} comes up too, though users complain about its pricing.',
    'Be careful with {b}: several reviews describe the setup as frustrating.',
    '{b} is sometimes mentioned, but its support gets poor marks.',
  ],
};

const NO_BRANDS = [
  'Popular choices vary by region and industry, and no single vendor dominates every category.',
  'The market is fragmented, so the best option for one team can be a poor fit for another.',
];

const CLOSINGS = [
  'In short: shortlist two or three tools, run a free trial and compare the total cost — not just the sticker price.',
  'Prices and features change often, so double-check the vendors’ sites before deciding.',
  'Ultimately, the best fit depends on your workflow; a naïve feature checklist rarely tells the whole story.',
];

const STOPWORDS = new Set(
  'a an and are as at be best by can could do does for from how i in is it me my of on or our please should that the to top we what which who with you your'.split(' '),
);

export function generateAnswer(req: AnswerRequest): Answer {
  const rng = rngFor(req.seed, 'answer', req.provider, req.model, req.prompt, req.instructions ?? '', req.nonce);
  const question = questionOf(req.prompt);
  const words = keywords(question);
  const queries = searchQueries(rng, question, words);

  if (req.mode === 'refusal') {
    return { kind: 'refusal', text: pick(rng, REFUSALS), searched: false, queries: [], sources: [], citations: [], mentions: [] };
  }
  if (req.mode === 'empty') {
    // The model searched and then produced no text: search output only.
    const sources = req.search ? uncitedSources(rng, req, words, intBetween(rng, 1, 3)) : [];
    return { kind: 'empty', text: '', searched: req.search, queries: req.search ? queries : [], sources, citations: [], mentions: [] };
  }

  const b = new TextBuilder();
  const intro = b.add(pick(rng, INTROS).replace('{q}', question));
  const mentioned = shuffled(
    rng,
    req.brands.filter((brand) => rng() < brand.probability),
  );
  const mentions: BrandMention[] = [];
  /** The span each mentioned brand is discussed in, by brand name. */
  const brandSpans = new Map<string, Span>();

  // Phrasings are drawn without replacement, so two brands never share a sentence template.
  const phrasing = new Phrasing(rng);
  if (mentioned.length === 0) {
    b.add(' ');
    b.add(pick(rng, NO_BRANDS));
    b.add('\n\n');
  } else if (mentioned.length >= 2 && rng() < 0.5) {
    b.add(`\n\n${pick(rng, LIST_HEADINGS)}\n\n`);
    mentioned.forEach((brand, i) => {
      const sentiment = pickSentiment(rng);
      const surface = surfaceOf(rng, brand);
      b.add(`${i + 1}. `);
      const itemStart = b.length;
      b.add('**');
      mentions.push({ brand: brand.name, surface, ...b.add(surface), sentiment });
      b.add(`** — ${phrasing.next(LIST_ITEMS[sentiment])}.`);
      brandSpans.set(brand.name, { start: itemStart, end: b.length });
      b.add('\n');
    });
    b.add('\n');
  } else {
    for (const brand of mentioned) {
      const sentiment = pickSentiment(rng);
      const surface = surfaceOf(rng, brand);
      const [before, after] = phrasing.next(INLINE[sentiment]).split('{b}');
      b.add(' ');
      const start = b.length;
      b.add(before);
      mentions.push({ brand: brand.name, surface, ...b.add(surface), sentiment });
      b.add(after);
      brandSpans.set(brand.name, { start, end: b.length });
    }
    b.add('\n\n');
  }

  let closing: Span;
  if (mentioned.length > 0 && rng() < 0.3) {
    // A second mention of one brand, often by another name: clients must not count it twice as a rank.
    const brand = mentioned[0];
    const surface = surfaceOf(rng, brand);
    const start = b.length;
    b.add('If budget matters most, ');
    mentions.push({ brand: brand.name, surface, ...b.add(surface), sentiment: 'neutral' });
    b.add(' is worth a trial first.');
    closing = { start, end: b.length };
  } else {
    closing = b.add(pick(rng, CLOSINGS));
  }

  const text = b.text;
  const cited = req.search && req.mode === 'normal';
  if (!cited) {
    return { kind: 'answer', text, searched: false, queries: [], sources: [], citations: [], mentions };
  }

  // 1..4 cited URLs: the first mentioned brands' own pages (at least one when any brand is
  // mentioned), then neutral sites attached to the intro, a brand's item or the closing.
  const total = intBetween(rng, 1, 4);
  const brandCount = mentioned.length === 0 ? 0 : Math.min(mentioned.length, intBetween(rng, 1, total));
  const cites: Array<{ source: AnswerSource; span: Span }> = [];
  for (const brand of mentioned.slice(0, brandCount)) {
    cites.push({ source: brandSource(rng, brand, question, words), span: brandSpans.get(brand.name)! });
  }
  const spans = [intro, ...brandSpans.values(), closing];
  for (const domain of shuffled(rng, req.neutralDomains).slice(0, total - brandCount)) {
    cites.push({ source: neutralSource(rng, domain, question, words), span: pick(rng, spans) });
  }

  // At least one result the answer does not cite (Gemini's "chunk no support references").
  const extras = uncitedSources(rng, req, words, intBetween(rng, 1, 3)).filter((s) => !cites.some((c) => c.source.url === s.url));
  if (extras.length === 0) {
    const host = pick(rng, req.neutralDomains);
    extras.push({ ...neutralSource(rng, host, question, words), url: `https://${host}/related/${words.join('-')}-${hexId(rng, 6)}` });
  }
  const sources = shuffled(rng, [...cites.map((c) => c.source), ...extras]);
  const citations = cites
    .map((c) => ({ source: sources.indexOf(c.source), start: c.span.start, end: c.span.end }))
    .sort((x, y) => x.start - y.start || x.source - y.source);
  return { kind: 'answer', text, searched: true, queries, sources, citations, mentions };
}

interface Span {
  start: number;
  end: number;
}

/** Draws from each template list without replacement (starting over once a list is used up). */
class Phrasing {
  private readonly decks = new Map<readonly string[], string[]>();
  constructor(private readonly rng: Rng) {}
  next(templates: readonly string[]): string {
    let deck = this.decks.get(templates);
    if (!deck || deck.length === 0) this.decks.set(templates, (deck = shuffled(this.rng, templates)));
    return deck.pop()!;
  }
}

/** Appends text and returns where it landed, so offsets are exact by construction. */
class TextBuilder {
  text = '';
  get length(): number {
    return this.text.length;
  }
  add(piece: string): Span {
    const start = this.text.length;
    this.text += piece;
    return { start, end: this.text.length };
  }
}

function pickSentiment(rng: Rng): Sentiment {
  const r = rng();
  return r < 0.45 ? 'positive' : r < 0.8 ? 'neutral' : 'negative';
}

/** Name most of the time, an alias often, the bare domain now and then. */
function surfaceOf(rng: Rng, brand: BrandConfig): string {
  const r = rng();
  if (r < 0.3 && brand.aliases.length > 0) return pick(rng, brand.aliases);
  if (r > 0.88 && brand.domains.length > 0) return pick(rng, brand.domains);
  return brand.name;
}

/** The question the answer is about: the last sentence ending in "?", else the first sentence. */
export function questionOf(prompt: string): string {
  const flat = prompt.replace(/\s+/g, ' ').trim();
  if (flat === '') return 'your question';
  const sentences = flat.split(/(?<=[?.!])\s+/);
  const question = [...sentences].reverse().find((s) => s.endsWith('?')) ?? sentences[0];
  const words = question.replace(/[?.!]+$/, '').split(' ');
  return words.length > 14 ? `${words.slice(0, 14).join(' ')}…` : words.join(' ');
}

function keywords(question: string): string[] {
  const plain = question
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9 ]+/g, ' ');
  const words = plain.split(' ').filter((w) => w !== '' && !STOPWORDS.has(w));
  return (words.length > 0 ? words : ['software']).slice(0, 6);
}

function searchQueries(rng: Rng, question: string, words: string[]): string[] {
  const phrase = words.join(' ');
  const all = [question.replace(/…$/, '').toLowerCase(), `${phrase} reviews 2025`, `best ${phrase}`, `${phrase} alternatives comparison`];
  return all.slice(0, intBetween(rng, 1, 3));
}

function titleCase(words: string[]): string {
  return words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
}

function dateOf(rng: Rng): string {
  return `2025-${String(intBetween(rng, 1, 12)).padStart(2, '0')}-${String(intBetween(rng, 1, 28)).padStart(2, '0')}`;
}

function displayDomain(host: string): string {
  return host.replace(/^www\./, '');
}

function brandSource(rng: Rng, brand: BrandConfig, question: string, words: string[]): AnswerSource {
  const domain = pick(rng, brand.domains);
  const slug = words.join('-');
  const pages: Array<[string, string]> = [
    ['', `${brand.name} | Official Site`],
    ['pricing', `${brand.name} Pricing — Plans & Features`],
    [`blog/${slug}`, `${titleCase(words)}: How ${brand.name} Helps`],
    ['customers', `Customer Stories — ${brand.name}`],
    [`resources/${slug}-guide`, `The ${brand.name} Guide to ${titleCase(words)}`],
  ];
  const [path, title] = pick(rng, pages);
  return {
    url: `https://${domain}/${path}`,
    title,
    domain: displayDomain(domain),
    snippet: `${brand.name} explains how teams approach “${question}” — features, pricing and customer results.`,
    date: dateOf(rng),
    brand: brand.name,
  };
}

function neutralSource(rng: Rng, host: string, question: string, words: string[]): AnswerSource {
  const slug = words.join('-');
  const site = displayDomain(host);
  const siteName = site === 'en.wikipedia.org' ? 'Wikipedia' : titleCase([site.split('.')[0]]);
  let path: string;
  if (site === 'en.wikipedia.org') path = `wiki/${titleCase(words).replace(/ /g, '_')}`;
  else if (site === 'reddit.com') path = `r/${pick(rng, ['smallbusiness', 'sales', 'startups', 'software'])}/comments/${hexId(rng, 6)}/${words.join('_')}/`;
  else if (site === 'g2.com') path = `categories/${slug}`;
  else if (site === 'capterra.com') path = `${slug}-software/`;
  else if (site === 'forbes.com') path = `advisor/business/software/best-${slug}/`;
  else path = `${pick(rng, ['reviews', 'best', 'guides'])}/${slug}`;
  const title = pick(rng, [`${titleCase(words)} — ${siteName}`, `Best ${titleCase(words)} of 2025 | ${siteName}`, `${titleCase(words)}: Reviews & Comparison | ${siteName}`]);
  return {
    url: `https://${host}/${path}`,
    title,
    domain: site,
    snippet: `An overview of ${words.join(' ')}: what to look for, pricing, and alternatives — compared for “${question}”.`,
    date: dateOf(rng),
  };
}

/** Results the search returned but the answer does not cite: neutral sites or unmentioned brands' pages. */
function uncitedSources(rng: Rng, req: AnswerRequest, words: string[], count: number): AnswerSource[] {
  const question = questionOf(req.prompt);
  const out: AnswerSource[] = [];
  const hosts = shuffled(rng, req.neutralDomains);
  for (let i = 0; i < count; i++) {
    if (req.brands.length > 0 && rng() < 0.3) out.push(brandSource(rng, pick(rng, req.brands), question, words));
    else out.push(neutralSource(rng, hosts[i % hosts.length], question, words));
  }
  return out.filter((s, i) => out.findIndex((o) => o.url === s.url) === i);
}

/** A rough token count (≈ 4 characters per token), enough for plausible usage and cost. */
export function approxTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}
