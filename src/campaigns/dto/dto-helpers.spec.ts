import { normalizeDomain } from './dto-helpers';

describe('normalizeDomain', () => {
  it.each([
    ['acme.example', 'acme.example'],
    ['  ACME.example ', 'acme.example'],
    ['https://www.Acme.example/pricing?x=1', 'acme.example'],
    ['www.acme.example/', 'acme.example'],
    ['acme.example.', 'acme.example'],
    ['http://shop.acme.co.uk:8080/a', 'shop.acme.co.uk'],
  ])('%s → %s', (input, output) => {
    expect(normalizeDomain(input)).toBe(output);
  });

  it('leaves non-strings for the validator', () => {
    expect(normalizeDomain(42)).toBe(42);
  });
});
