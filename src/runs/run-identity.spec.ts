import { itemIdempotencyKey, requestKey, stableJson } from './run-identity';

const base = {
  questionId: 'q1',
  personaId: 'p1',
  provider: 'openai',
  model: 'gpt-5-mini',
  promptVersion: 'v1',
  questionText: 'Which CRM?',
  settings: { web_search: true, user_location: { country: 'DE', city: 'Berlin' } },
  sampleIndex: 0,
};

describe('run item identity', () => {
  it('orders keys so equal settings hash the same', () => {
    expect(stableJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
    expect(requestKey(base)).toBe(requestKey({ ...base, settings: { user_location: { city: 'Berlin', country: 'DE' }, web_search: true } }));
  });

  it('treats case and spacing of the question text as the same request', () => {
    expect(requestKey(base)).toBe(requestKey({ ...base, questionText: '  which  crm? ' }));
  });

  it('differs by every part that changes what is paid for', () => {
    const variants = [
      { ...base, sampleIndex: 1 },
      { ...base, model: 'gpt-5' },
      { ...base, promptVersion: 'v2' },
      { ...base, personaId: null },
      { ...base, settings: { web_search: false } },
      { ...base, provider: 'gemini' },
    ];
    const keys = new Set([requestKey(base), ...variants.map(requestKey)]);
    expect(keys.size).toBe(variants.length + 1);
    expect(itemIdempotencyKey('run-a', base)).not.toBe(itemIdempotencyKey('run-b', base));
  });
});
