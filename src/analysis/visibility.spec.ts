import { analyzeAnswer, firstMention } from './visibility';

const brand = { name: 'Acme CRM', aliases: ['Acme'], domains: ['acme.example'] };
const competitors = [
  { name: 'Globex', aliases: ['Globex CRM'], domains: ['globex.example'] },
  { name: 'Initech', aliases: [], domains: ['initech.example'] },
];

describe('firstMention', () => {
  it('matches whole words only, folding case and Unicode forms', () => {
    expect(firstMention('We like ACME’s CRM', ['acme'])).toBe(8);
    expect(firstMention('Pineapple is a fruit', ['Apple'])).toBe(-1);
    expect(firstMention('**Ａｃｍｅ** wins', ['acme'])).toBe(2);
    expect(firstMention('nothing here', ['acme', ''])).toBe(-1);
  });
});

describe('analyzeAnswer', () => {
  it('ranks the brand among the tracked brands by first mention, and reads cited domains', () => {
    const a = analyzeAnswer({
      brand,
      competitors,
      text: '1. Globex CRM — solid. 2. Acme CRM — best for agencies. Initech is older.',
      citations: [
        { url: 'https://www.acme.example/x', domain: 'www.acme.example' },
        { url: 'https://g2.com/y', domain: 'g2.com' },
        { url: 'https://blog.globex.example/z', domain: 'blog.globex.example' },
      ],
    });
    expect(a).toMatchObject({
      brand_mentioned: true,
      brand_rank: 2,
      top3: true,
      competitors_mentioned: ['Globex', 'Initech'],
      cited_domains: ['acme.example', 'g2.com', 'blog.globex.example'],
      own_domain_cited: true,
      competitor_domains_cited: ['blog.globex.example'],
    });
  });

  it('reports no rank when the brand is absent', () => {
    const a = analyzeAnswer({ brand, competitors, text: 'Globex is fine.', citations: [] });
    expect(a.brand_mentioned).toBe(false);
    expect(a.brand_rank).toBeNull();
    expect(a.own_domain_cited).toBe(false);
  });
});
