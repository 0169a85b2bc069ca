import * as dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import * as ipaddr from 'ipaddr.js';
import { MapperTargetRefused } from './mapper';

/**
 * SSRF guard for outbound deliveries. A target passes only when it is http(s), carries no
 * credentials, and every address its host resolves to is public unicast; or when its host is in
 * the operator's allow-list (WEBHOOK_ALLOWED_HOSTS), which bypasses the address checks (not the
 * scheme and credential checks). Any port is allowed.
 *
 * Checking the name once is not enough (DNS rebinding: a short-TTL record answers a public address
 * to the check and 127.0.0.1 to the connection), so requests must also connect through
 * `guardedLookup`, which re-validates the addresses the socket is about to use.
 */

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to all its addresses (dns.promises.lookup with `all: true` by default). */
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

/** The callback form of dns.lookup that `guardedLookup` wraps (injectable for tests). */
export type BaseLookup = (
  hostname: string,
  options: dns.LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void,
) => void;

const defaultResolver: Resolver = (host) => dns.promises.lookup(host, { all: true, verbatim: true });
const defaultBaseLookup: BaseLookup = (hostname, options, callback) => dns.lookup(hostname, options, callback);

/** Global unicast (2000::/3): everything public in IPv6 today lives there. */
const IPV6_GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3');

/**
 * The ipaddr.js range of an address ('unicast' for a public one), IPv4-mapped IPv6 classified as
 * the IPv4 it carries; IPv6 outside 2000::/3 (e.g. IPv4-compatible ::7f00:1, which ipaddr.js calls
 * unicast) is 'nonGlobal'; 'invalid' when it is not an IP address.
 */
export function classifyAddress(ip: string): string {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.process(ip.replace(/^\[|\]$/g, ''));
  } catch {
    return 'invalid';
  }
  const range = addr.range();
  if (range !== 'unicast') return range;
  if (addr.kind() === 'ipv6' && !addr.match(IPV6_GLOBAL_UNICAST)) return 'nonGlobal';
  return 'unicast';
}

export function isPublicAddress(ip: string): boolean {
  return classifyAddress(ip) === 'unicast';
}

/** Names that mean "this machine" or a local network whatever DNS says. */
export function isLocalHostName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return (
    h === 'localhost' ||
    h === 'localhost.localdomain' ||
    h === 'ip6-localhost' ||
    h === 'ip6-loopback' ||
    /\.(localhost|local|internal|localdomain|home\.arpa)$/.test(h)
  );
}

/** Canonical form for comparisons: lower case, no brackets, no trailing dot, IPv6 compressed. */
function canonicalHost(host: string): string {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  return ipaddr.IPv6.isValid(h) && h.includes(':') ? ipaddr.IPv6.parse(h).toString() : h;
}

function splitEntry(entry: string): { host: string; port: string | null } {
  const e = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(e);
  if (bracketed) return { host: bracketed[1], port: bracketed[2] ?? null };
  const hostPort = /^([^:]+):(\d+)$/.exec(e);
  if (hostPort) return { host: hostPort[1], port: hostPort[2] };
  return { host: e, port: null }; // a name, an IPv4, or a bare IPv6 (no port possible)
}

/**
 * Whether the URL's host is allow-listed: an entry is a host name or IP as written in the URL
 * (case-insensitive), optionally with a port (`hooks.local:8080`, `[::1]:8080`) that must then match.
 */
export function isAllowListed(url: URL, allowedHosts: readonly string[]): boolean {
  const host = canonicalHost(url.hostname);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return allowedHosts.some((entry) => {
    const e = splitEntry(entry);
    return e.host !== '' && canonicalHost(e.host) === host && (e.port === null || e.port === port);
  });
}

function refuse(host: string, reason: string): MapperTargetRefused {
  return new MapperTargetRefused(`delivery target ${host || '(none)'} refused: ${reason}`);
}

/** Throws when there is no address or any address is not public. */
function checkAddresses(host: string, addresses: readonly ResolvedAddress[]): void {
  if (addresses.length === 0) throw refuse(host, 'the host resolves to no address');
  for (const a of addresses) {
    const range = classifyAddress(a.address);
    if (range !== 'unicast') throw refuse(host, `it resolves to a non-public address (${a.address}, ${range})`);
  }
}

/** Scheme and credentials: checked even for allow-listed hosts. */
function parseTarget(target: string | URL): URL {
  let url: URL;
  try {
    url = typeof target === 'string' ? new URL(target) : target;
  } catch {
    throw refuse('', 'not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse(url.hostname, `scheme ${url.protocol} is not allowed (http or https only)`);
  if (url.username || url.password) throw refuse(url.hostname, 'credentials in the URL are not allowed');
  return url;
}

export interface TargetCheck {
  url: URL;
  /** True when the allow-list let the host through: connect without `guardedLookup`. */
  allowListed: boolean;
  /** The addresses that were checked (the literal IP, or what the name resolved to); empty when allow-listed. */
  addresses: ResolvedAddress[];
}

/**
 * Refuses (MapperTargetRefused) a target that is not http(s), carries credentials, names a local
 * host, is or resolves to any non-public address, or does not resolve at all, unless its host is
 * allow-listed.
 */
export async function assertPublicTarget(target: string | URL, allowedHosts: readonly string[], opts: { resolve?: Resolver } = {}): Promise<TargetCheck> {
  const url = parseTarget(target);
  if (isAllowListed(url, allowedHosts)) return { url, allowListed: true, addresses: [] };

  const host = url.hostname.replace(/^\[|\]$/g, '');
  // The URL parser has already normalized IPv4 spellings (0x7f.1, 2130706433) to dotted quads.
  if (ipaddr.IPv4.isValidFourPartDecimal(host) || (url.hostname.startsWith('[') && ipaddr.IPv6.isValid(host))) {
    const addresses = [{ address: host, family: host.includes(':') ? 6 : 4 }];
    checkAddresses(url.hostname, addresses);
    return { url, allowListed: false, addresses };
  }
  if (isLocalHostName(host)) throw refuse(host, 'local host names are not allowed');

  let addresses: ResolvedAddress[];
  try {
    addresses = await (opts.resolve ?? defaultResolver)(host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw refuse(host, `the host could not be resolved${code ? ` (${code})` : ''}`);
  }
  checkAddresses(host, addresses);
  return { url, allowListed: false, addresses };
}

/**
 * A `lookup` for node:http/https (`request({ lookup })`), net.connect or undici's `connect`, that
 * resolves like dns.lookup but fails with MapperTargetRefused when any address is not public, so
 * the address checked is the address connected to. Not used for allow-listed hosts; IP literals
 * never reach a lookup (they are checked by `assertPublicTarget`).
 */
export function createGuardedLookup(base: BaseLookup = defaultBaseLookup): LookupFunction {
  return (hostname, options, callback) => {
    if (isLocalHostName(hostname)) {
      process.nextTick(() => callback(refuse(hostname, 'local host names are not allowed'), []));
      return;
    }
    // `all` and `family` come from net (autoSelectFamily asks for all); we always want all to check them.
    // Callers outside net may pass a bare family number (dns.lookup's legacy form).
    const opts: dns.LookupOptions = typeof options === 'object' && options !== null ? options : {};
    base(hostname, { ...opts, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      try {
        checkAddresses(hostname, addresses);
      } catch (refused) {
        return callback(refused as MapperTargetRefused, []);
      }
      if (opts.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

export const guardedLookup: LookupFunction = createGuardedLookup();
