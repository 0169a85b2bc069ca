import { buildPrompt, PROMPT_VERSIONS, UnknownPromptVersionError } from './prompts';

const persona = { name: 'Ops lead', role: 'COO', domain: 'logistics', locale: 'de-DE', tone: 'careful' };

describe('buildPrompt', () => {
  it('puts the persona around the question, deterministically', () => {
    const a = buildPrompt('v1', { question: ' Which CRM? ', persona, topic: null });
    const b = buildPrompt('v1', { question: 'Which CRM?', persona, topic: null });
    expect(a).toEqual(b);
    expect(a.user).toBe('Which CRM?');
    expect(a.system).toBe('The person asking is a COO, working in logistics. Answer in the language and for the market of locale de-DE. They prefer a careful tone.');
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes the hash with the version, the persona or the question', () => {
    const base = buildPrompt('v1', { question: 'Q?', persona, topic: null }).hash;
    expect(buildPrompt('v2', { question: 'Q?', persona, topic: { title: 'CRM', description: null } }).hash).not.toBe(base);
    expect(buildPrompt('v1', { question: 'Q?', persona: { ...persona, tone: null }, topic: null }).hash).not.toBe(base);
    expect(buildPrompt('v1', { question: 'Q2?', persona, topic: null }).hash).not.toBe(base);
  });

  it('sends the bare question when nothing frames it, and knows its versions', () => {
    expect(buildPrompt('v1', { question: 'Q?', persona: null, topic: null }).system).toBeNull();
    expect(buildPrompt('v2', { question: 'Q?', persona: null, topic: { title: 'CRM', description: 'for agencies' } }).system).toBe('Context: the question is about CRM (for agencies).');
    expect(PROMPT_VERSIONS).toEqual(['v1', 'v2']);
    expect(() => buildPrompt('v9', { question: 'Q?', persona: null, topic: null })).toThrow(UnknownPromptVersionError);
  });
});
