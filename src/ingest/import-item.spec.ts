import { ImportItemParser } from './import-item';

describe('ImportItemParser', () => {
  it('expands the string shorthand and cleans the text', () => {
    const parsed = new ImportItemParser().parse(1, { campaign: ' Acme  visibility ', topic: 'CRM', persona: 'Founder', question: '  Which CRM?  ' });
    expect(parsed).toEqual({
      at: 1,
      campaign: { name: 'Acme visibility', productName: null, brandAliases: [], brandDomains: [], competitors: [] },
      topic: { title: 'CRM', description: null },
      persona: { name: 'Founder', role: null, domain: null, locale: null, tone: null, extra: {} },
      question: { text: 'Which CRM?', metadata: {} },
    });
  });

  it('reports every problem of an item in one message, prefixed with its part', () => {
    const p = new ImportItemParser();
    expect(p.parse(1, { question: 'Q' })).toEqual({ error: 'campaign: is required' });
    expect(p.parse(2, { campaign: 'A', question: 'Q', extra: 1 })).toEqual({ error: 'extra: unknown field "extra"' });
    const bad = p.parse(3, { campaign: { name: '', bogus: 1 }, persona: { name: 'P', locale: 'not a locale' }, question: { text: 'Q', metadata: 'x' } });
    expect('error' in bad && bad.error).toMatch(/^campaign\.bogus: unknown field .*campaign\.name: .*persona\.locale: .*question\.metadata: /);
    expect(p.parse(4, 'text')).toEqual({ error: 'an item must be an object with "campaign" and "question"' });
    expect(p.parse(5, { campaign: 7, question: 'Q' })).toEqual({ error: 'campaign: must be an object or a string' });
  });

  it('validates each distinct campaign, topic and persona once per import', () => {
    const p = new ImportItemParser();
    const a = p.parse(1, { campaign: { name: 'Acme', brand_domains: ['https://www.acme.example/x'] }, question: 'One?' });
    const b = p.parse(2, { campaign: { name: 'Acme', brand_domains: ['https://www.acme.example/x'] }, question: 'Two?' });
    expect('campaign' in a && 'campaign' in b && a.campaign === b.campaign).toBe(true);
    expect('campaign' in a && a.campaign).toMatchObject({ brandDomains: ['acme.example'] });
    const bad1 = p.parse(3, { campaign: { name: 'X', competitors: [{ name: 'G' }, { name: 'g' }] }, question: 'Q' });
    const bad2 = p.parse(4, { campaign: { name: 'X', competitors: [{ name: 'G' }, { name: 'g' }] }, question: 'Q' });
    expect(bad1).toEqual(bad2);
    expect('error' in bad1 && bad1.error).toMatch(/campaign\.competitors\.1\.name/);
  });
});
