import type { Citation } from './provider.types';

/** The host of a URL without "www.", lower-case; '' for what is not a URL. */
export function domainOf(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase().replace(/^www\./, '');
  } catch {
    return '';
  }
}

/** Collects citations in order of first appearance, one per URL (the first span wins). */
export class CitationList {
  private readonly byUrl = new Map<string, Citation>();

  add(url: string, title: string | null | undefined, citedText?: string, domain?: string): void {
    if (!url || this.byUrl.has(url)) return;
    const c: Citation = { url, title: title ?? null, domain: domain ?? domainOf(url), position: this.byUrl.size + 1 };
    if (citedText !== undefined && citedText !== '') c.cited_text = citedText;
    this.byUrl.set(url, c);
  }

  has(url: string): boolean {
    return this.byUrl.has(url);
  }

  list(): Citation[] {
    return [...this.byUrl.values()];
  }
}
