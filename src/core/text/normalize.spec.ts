import { cleanText, normalizeKey, sha256Hex } from './normalize';

describe('normalizeKey', () => {
  it('folds case, width, Unicode forms and whitespace to one key', () => {
    expect(normalizeKey('  Acme\u00A0CRM ')).toBe('acme crm');
    expect(normalizeKey('ＡＣＭＥ crm')).toBe('acme crm'); // full-width letters (NFKC)
    expect(normalizeKey('Cafe\u0301')).toBe(normalizeKey('Café')); // combining accent vs precomposed
    expect(normalizeKey('Straße')).toBe(normalizeKey('STRASSE'));
    expect(normalizeKey('Which\tCRM\n\nfor  agencies?')).toBe('which crm for agencies?');
    expect(normalizeKey('zero\u200Bwidth')).toBe('zerowidth');
  });

  it('keeps different texts apart', () => {
    expect(normalizeKey('Apple')).not.toBe(normalizeKey('Pineapple'));
    expect(normalizeKey('CRM for agencies?')).not.toBe(normalizeKey('CRM for agencies!'));
  });
});

describe('cleanText', () => {
  it('trims and collapses spaces but keeps case and line breaks', () => {
    expect(cleanText('  Which CRM\u200B  is best?\nReally ')).toBe('Which CRM is best?\nReally');
  });
});

describe('sha256Hex', () => {
  it('separates parts so that ("ab","c") and ("a","bc") differ', () => {
    expect(sha256Hex('ab', 'c')).not.toBe(sha256Hex('a', 'bc'));
    expect(sha256Hex('x')).toMatch(/^[0-9a-f]{64}$/);
  });
});
