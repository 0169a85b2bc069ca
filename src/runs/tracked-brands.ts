import type { Campaign } from '../campaigns';
import type { TrackedBrand } from '../analysis/visibility';

/** The campaign's brand and competitors as the analysis tracks them. */
export function trackedBrands(c: Pick<Campaign, 'name' | 'productName' | 'brandAliases' | 'brandDomains' | 'competitors'>): { brand: TrackedBrand; competitors: TrackedBrand[] } {
  return {
    brand: { name: c.productName ?? c.name, aliases: c.brandAliases, domains: c.brandDomains },
    competitors: c.competitors.map((x) => ({ name: x.name, aliases: x.aliases ?? [], domains: x.domains ?? [] })),
  };
}
