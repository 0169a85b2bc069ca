import { generateAnswer, questionOf, type AnswerRequest } from './answers';
import { defaultConfig, type BrandConfig } from './config';

const config = defaultConfig();

function request(overrides: Partial<AnswerRequest> = {}): AnswerRequest {
  return {
    seed: 'test-seed',
    provider: 'openai',
    model: 'gpt-5-mini',
    prompt: 'What is the best CRM for small teams?',
    nonce: '0',
    brands: config.brands,
    neutralDomains: config.neutralDomains,
    search: true,
    mode: 'normal',
    ...overrides,
  };
}

const nonces = Array.from({ length: 60 }, (_, i) => String(i));

describe('generateAnswer', () => {
  it('is deterministic for the same seed, prompt, provider, model and nonce', () => {
    expect(generateAnswer(request())).toEqual(generateAnswer(request()));
  });

  it('varies with the nonce, the seed, the provider and the model', () => {
    const base = generateAnswer(request()).text;
    const texts = new Set(nonces.map((nonce) => generateAnswer(request({ nonce })).text));
    expect(texts.size).toBeGreaterThan(20);
    const variants = [request({ seed: 'other' }), request({ provider: 'gemini' }), request({ model: 'gpt-4o' }), request({ nonce: '1' })];
    expect(variants.some((r) => generateAnswer(r).text !== base)).toBe(true);
  });

  it('records every mention at its exact offsets, by name, alias or domain', () => {
    for (const nonce of nonces) {
      const answer = generateAnswer(request({ nonce }));
      for (const m of answer.mentions) {
        expect(answer.text.slice(m.start, m.end)).toBe(m.surface);
        const brand = config.brands.find((b) => b.name === m.brand)!;
        expect([brand.name, ...brand.aliases, ...brand.domains]).toContain(m.surface);
      }
    }
  });

  it('mentions a brand with probability 1 always and with probability 0 never', () => {
    const brands: BrandConfig[] = [
      { name: 'Always Inc', aliases: [], domains: ['always.example'], probability: 1 },
      { name: 'Never Ltd', aliases: [], domains: ['never.example'], probability: 0 },
    ];
    for (const nonce of nonces) {
      const answer = generateAnswer(request({ nonce, brands }));
      expect(answer.mentions.some((m) => m.brand === 'Always Inc')).toBe(true);
      expect(answer.mentions.some((m) => m.brand === 'Never Ltd')).toBe(false);
      expect(answer.text).not.toContain('Never Ltd');
    }
  });

  it('mentions brands at roughly their configured probability, in varying order and styles', () => {
    const answers = Array.from({ length: 400 }, (_, i) => generateAnswer(request({ nonce: `n${i}` })));
    const share = (name: string) => answers.filter((a) => a.mentions.some((m) => m.brand === name)).length / answers.length;
    expect(share('Acme CRM')).toBeGreaterThan(0.6);
    expect(share('Acme CRM')).toBeLessThan(0.8);
    expect(share('Umbrella')).toBeGreaterThan(0.12);
    expect(share('Umbrella')).toBeLessThan(0.28);
    const firsts = new Set(answers.filter((a) => a.mentions.length > 0).map((a) => a.mentions[0].brand));
    expect(firsts.size).toBeGreaterThan(2);
    expect(answers.some((a) => /\n1\. \*\*/.test(a.text))).toBe(true);
    expect(answers.some((a) => a.mentions.length > 0 && !a.text.includes('**'))).toBe(true);
    expect(answers.some((a) => a.mentions.some((m) => m.surface === 'Acme' || m.surface === 'AcmeCRM'))).toBe(true);
    expect(answers.some((a) => a.mentions.some((m) => m.sentiment === 'negative'))).toBe(true);
    // Non-ASCII text, so byte and character offsets differ.
    expect(answers.every((a) => Buffer.byteLength(a.text) > a.text.length)).toBe(true);
  });

  it('cites 1..4 URLs on spans inside the text, brands on the span that mentions them, and returns uncited results too', () => {
    for (const nonce of nonces) {
      const answer = generateAnswer(request({ nonce }));
      expect(answer.searched).toBe(true);
      const cited = new Set(answer.citations.map((c) => c.source));
      expect(cited.size).toBeGreaterThanOrEqual(1);
      expect(cited.size).toBeLessThanOrEqual(4);
      expect(answer.sources.length).toBeGreaterThan(cited.size);
      for (const c of answer.citations) {
        expect(c.start).toBeGreaterThanOrEqual(0);
        expect(c.end).toBeGreaterThan(c.start);
        expect(c.end).toBeLessThanOrEqual(answer.text.length);
        const source = answer.sources[c.source];
        if (source.brand !== undefined) {
          expect(answer.mentions.some((m) => m.brand === source.brand && m.start >= c.start && m.end <= c.end)).toBe(true);
        }
      }
      const starts = answer.citations.map((c) => c.start);
      expect(starts).toEqual([...starts].sort((a, b) => a - b));
      if (answer.mentions.length > 0) expect(answer.sources.some((s, i) => s.brand !== undefined && cited.has(i))).toBe(true);
    }
  });

  it('produces no citations without search, or in nocitations mode', () => {
    for (const r of [request({ search: false }), request({ mode: 'nocitations' })]) {
      const answer = generateAnswer(r);
      expect(answer.kind).toBe('answer');
      expect(answer.text.length).toBeGreaterThan(0);
      expect(answer.citations).toEqual([]);
      expect(answer.sources).toEqual([]);
      expect(answer.searched).toBe(false);
    }
  });

  it('produces a refusal and an empty answer that still carries search results', () => {
    const refusal = generateAnswer(request({ mode: 'refusal' }));
    expect(refusal.kind).toBe('refusal');
    expect(refusal.text).toMatch(/can.t (help|assist)/);
    expect(refusal.mentions).toEqual([]);

    const empty = generateAnswer(request({ mode: 'empty' }));
    expect(empty).toMatchObject({ kind: 'empty', text: '', searched: true, citations: [] });
    expect(empty.sources.length).toBeGreaterThan(0);
    expect(empty.queries.length).toBeGreaterThan(0);
  });
});

describe('questionOf', () => {
  it('takes the last question of a longer prompt and shortens long ones', () => {
    expect(questionOf('You are a buyer. Which CRM should I pick? Answer briefly.')).toBe('Which CRM should I pick');
    expect(questionOf('  ')).toBe('your question');
    expect(questionOf(Array.from({ length: 30 }, (_, i) => `w${i}`).join(' '))).toMatch(/…$/);
  });
});
