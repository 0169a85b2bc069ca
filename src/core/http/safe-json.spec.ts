import { findForbiddenKey, rejectForbiddenKeys } from './safe-json';

describe('forbidden JSON keys', () => {
  it('refuses __proto__, constructor and prototype at any depth while parsing', () => {
    for (const text of ['{"__proto__": {"x": 1}}', '{"a": {"constructor": {}}}', '[{"b": [{"prototype": 1}]}]']) {
      expect(() => JSON.parse(text, rejectForbiddenKeys) as unknown).toThrow(/is not allowed as a key/);
    }
    expect(JSON.parse('{"a": {"construct": 1}, "proto": [1]}', rejectForbiddenKeys)).toEqual({ a: { construct: 1 }, proto: [1] });
  });

  it('finds them in parsed values', () => {
    expect(findForbiddenKey(JSON.parse('{"a": [{"__proto__": 1}]}'))).toBe('__proto__');
    expect(findForbiddenKey({ a: { b: 1 } })).toBeUndefined();
  });
});
