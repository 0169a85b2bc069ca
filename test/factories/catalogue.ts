import { randomBytes } from 'node:crypto';

const suffix = (): string => randomBytes(3).toString('hex');

export const campaignBody = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: `Acme CRM visibility ${suffix()}`,
  product_name: 'Acme CRM',
  brand_aliases: ['Acme', 'AcmeCRM'],
  brand_domains: ['acme.example'],
  competitors: [{ name: 'Globex', aliases: ['Globex CRM'], domains: ['globex.example'] }],
  ...overrides,
});

export const personaBody = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: `Agency owner ${suffix()}`,
  role: 'Founder',
  domain: 'marketing services',
  locale: 'en-US',
  tone: 'pragmatic',
  extra: { seniority: 'senior' },
  ...overrides,
});
