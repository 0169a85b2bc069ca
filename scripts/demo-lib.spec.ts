import { visibilityTable, type RunMetricsResponse } from './demo-lib';

const m = (answers: number, rate: number | null, ci: [number, number]) => ({
  answers,
  mention_rate: rate,
  mention_rate_ci: ci,
  share_of_voice: rate === null ? null : rate / 2,
  avg_rank: rate === null ? null : 1.5,
  top3_rate: rate,
  citation_rate: 0.25,
  top_domains: [
    { domain: 'acme.com', count: 7 },
    { domain: 'g2.com', count: 5 },
    { domain: 'wikipedia.org', count: 2 },
    { domain: 'reddit.com', count: 1 },
  ],
  competitors: [{ name: 'Globex', mention_rate: 0.5, share_of_voice: 0.3 }],
  sentiment: { positive: 0.6, neutral: 0.3, negative: 0.1 },
});

describe('visibilityTable', () => {
  it('prints one row per provider and one for all, with the interval, share of voice, rank and top domains', () => {
    const metrics: RunMetricsResponse = { overall: m(20, 0.7, [0.48, 0.85]), slices: [{ key: { provider: 'openai' }, ...m(10, 0.8, [0.49, 0.94]) }, { key: { provider: 'gemini' }, ...m(10, null, [0, 1]) }] };
    const lines = visibilityTable(metrics, 'Acme CRM');
    expect(lines[0]).toBe('Visibility of Acme CRM');
    expect(lines[1]).toMatch(/^provider\s+answers\s+mentioned \(95% CI\)\s+share of voice/);
    expect(lines[2]).toMatch(/^openai\s+10\s+80% \(49%–94%\)\s+40%\s+1\.50\s+80%\s+25%\s+acme\.com \(7\), g2\.com \(5\), wikipedia\.org \(2\)$/);
    expect(lines[3]).toMatch(/^gemini\s+10\s+–\s+–\s+–/);
    expect(lines[4]).toMatch(/^all\s+20\s+70% \(48%–85%\)/);
    expect(lines.join('\n')).toContain('Globex 50% mentioned, 30% of voice');
    expect(lines.join('\n')).toContain('60% positive');
    expect(lines.join('\n')).not.toContain('reddit.com');
  });
});
