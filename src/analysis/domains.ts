import { parse } from 'tldts';

/**
 * Host names, registrable domains and URLs, through `tldts` (the public suffix list, ICANN and
 * private sections: "blog.acme.co.uk" → "acme.co.uk", "acme.github.io" stays itself).
 */

const TLDTS = { allowPrivateDomains: true, extractHostname: true, validateHostname: true } as const;

/** Endings reserved for examples and tests (RFC 2606, RFC 6761): real in the sense of the product. */
const SPECIAL_USE = new Set(['example', 'test', 'invalid', 'localhost', 'local', 'internal']);

/**
 * The host of a domain, host or URL ("https://WWW.Acme.com/x" → "acme.com"), lower case without
 * "www."; null when it is no host name. `strict` (for names found in prose) also wants an ending
 * that the public suffix list knows, so "Node.js" or "e.g" are not hosts; a domain that a campaign
 * lists is taken as it is.
 */
export function parseHost(input: string, strict = false): string | null {
  let s = input.trim().toLowerCase();
  if (!s) return null;
  if (!/^[a-z][a-z0-9+.-]*:\/\//.test(s)) s = `http://${s.replace(/^\/\//, '')}`;
  const r = parse(s, TLDTS);
  if (!r.hostname || !r.domain || r.isIp) return null;
  if (strict && !r.isIcann && !r.isPrivate && !SPECIAL_USE.has(r.publicSuffix ?? '')) return null;
  return r.hostname.replace(/^www\d?\./, '');
}

/** A host name found in a text, or null when it is none (strict). */
export const hostOf = (host: string): string | null => parseHost(host, true);

/** The registrable domain (the public suffix plus one label) of a host, or the host itself. */
export function registrableDomain(host: string): string {
  const h = host.trim().toLowerCase();
  const r = parse(h, TLDTS);
  return r.domain ?? h.replace(/^www\d?\./, '');
}

/** A host is the domain or one of its subdomains. */
export const hostIsUnder = (host: string, domain: string): boolean => host === domain || host.endsWith(`.${domain}`);

/** Query parameters that only track the click: two URLs that differ only in them are one source. */
const TRACKING = /^(?:utm_[a-z_]+|gclid|fbclid|msclkid|dclid|yclid|mc_cid|mc_eid|_hsenc|_hsmi|ref_src|igshid|srsltid)$/i;

/**
 * A URL in one canonical form, so that one source cited twice counts once: lower-case scheme and
 * host without "www.", no default port, no fragment, no tracking parameters, no trailing slash on
 * the path. The WHATWG URL parser does the parsing (and the punycode of internationalized hosts).
 */
export function normalizeUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return url.trim();
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return url.trim();
  u.hash = '';
  u.hostname = u.hostname.replace(/^www\d?\./, '');
  for (const k of [...u.searchParams.keys()]) if (TRACKING.test(k)) u.searchParams.delete(k);
  u.searchParams.sort();
  let s = u.toString();
  if (u.pathname !== '/' && s.endsWith('/') && !u.search) s = s.slice(0, -1);
  else if (u.pathname === '/' && !u.search) s = s.replace(/\/$/, '');
  return s;
}
