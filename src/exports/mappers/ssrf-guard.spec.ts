import * as dns from 'node:dns';
import type { LookupAddress } from 'node:dns';
import { MapperTargetRefused } from './mapper';
import { BaseLookup, Resolver, assertPublicTarget, classifyAddress, createGuardedLookup, guardedLookup, isAllowListed, isPublicAddress } from './ssrf-guard';

const resolverOf =
  (table: Record<string, string[]>): Resolver =>
  async (host) => {
    const addrs = table[host];
    if (!addrs) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addrs.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

const baseLookupOf =
  (table: Record<string, string[]>): BaseLookup =>
  (host, _options, callback) => {
    const addrs = table[host];
    if (!addrs) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }), []);
    callback(
      null,
      addrs.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
  };

type LookupResult = { err: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number };
const lookupWith = (fn: typeof guardedLookup, host: string, options: object): Promise<LookupResult> =>
  new Promise((resolve) => fn(host, options, (err, address, family) => resolve({ err, address, family })));

describe('ssrf-guard', () => {
  describe('address classification', () => {
    it.each([
      ['10.1.2.3', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.1.1', 'private'],
      ['127.0.0.1', 'loopback'],
      ['127.8.9.10', 'loopback'],
      ['169.254.169.254', 'linkLocal'],
      ['100.64.0.1', 'carrierGradeNat'],
      ['100.127.255.254', 'carrierGradeNat'],
      ['0.0.0.0', 'unspecified'],
      ['224.0.0.1', 'multicast'],
      ['255.255.255.255', 'broadcast'],
      ['192.0.2.10', 'reserved'], // TEST-NET-1
      ['198.51.100.7', 'reserved'], // TEST-NET-2
      ['203.0.113.99', 'reserved'], // TEST-NET-3
      ['240.0.0.1', 'reserved'],
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['fc00::1', 'uniqueLocal'],
      ['fd12:3456::1', 'uniqueLocal'],
      ['fe80::1', 'linkLocal'],
      ['ff02::1', 'multicast'],
      ['2001:db8::1', 'reserved'], // documentation
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:10.0.0.1', 'private'],
      ['::ffff:169.254.169.254', 'linkLocal'],
      ['::7f00:1', 'nonGlobal'], // IPv4-compatible ::127.0.0.1
      ['64:ff9b::a00:1', 'rfc6052'], // NAT64 of 10.0.0.1
      ['2002:7f00:1::', '6to4'],
      ['not-an-ip', 'invalid'],
    ])('refuses %s (%s)', (ip, range) => {
      expect(classifyAddress(ip)).toBe(range);
      expect(isPublicAddress(ip)).toBe(false);
    });

    it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '172.32.0.1', '100.128.0.1', '2001:4860::', '2001:4860:4860::8888', '::ffff:8.8.8.8', '[2606:4700::1111]'])(
      'lets %s through',
      (ip) => {
        expect(isPublicAddress(ip)).toBe(true);
      },
    );
  });

  describe('assertPublicTarget', () => {
    const resolve = resolverOf({
      'hooks.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
      'mixed.example.com': ['93.184.216.34', '10.0.0.5'],
      'rebind.example.com': ['127.0.0.1'],
      'metadata.example.com': ['169.254.169.254'],
      'v6local.example.com': ['::1'],
      'empty.example.com': [],
    });
    const refused = (url: string, allowed: string[] = []): Promise<unknown> => assertPublicTarget(url, allowed, { resolve });

    it('accepts a public host on any port and reports the checked addresses', async () => {
      const check = await assertPublicTarget('https://hooks.example.com:8443/in?x=1', [], { resolve });
      expect(check.allowListed).toBe(false);
      expect(check.url.port).toBe('8443');
      expect(check.addresses.map((a) => a.address)).toEqual(['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946']);
      await expect(assertPublicTarget('http://8.8.8.8/', [], { resolve })).resolves.toMatchObject({ allowListed: false });
      await expect(assertPublicTarget('http://[2001:4860::8888]:8080/', [], { resolve })).resolves.toMatchObject({ allowListed: false });
    });

    it.each([
      'http://127.0.0.1/',
      'http://127.0.0.1:8080/hook',
      'http://10.0.0.1/',
      'http://192.168.0.10/',
      'http://169.254.169.254/latest/meta-data/',
      'http://100.64.1.1/',
      'http://0.0.0.0/',
      'http://[::1]/',
      'http://[::]/',
      'http://[fc00::1]/',
      'http://[fe80::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://224.0.0.1/',
      'http://2130706433/', // 127.0.0.1 as one number
      'http://0x7f.1/', // 127.0.0.1 in hex short form
      'http://017700000001/', // 127.0.0.1 in octal
    ])('refuses the literal address in %s', async (url) => {
      await expect(refused(url)).rejects.toBeInstanceOf(MapperTargetRefused);
    });

    it('refuses a host name that resolves to 127.0.0.1, and "localhost"-like names before resolving', async () => {
      await expect(refused('http://rebind.example.com/')).rejects.toThrow(/non-public address \(127\.0\.0\.1, loopback\)/);
      // What the system resolver really answers for "localhost", behind a name the name check does not catch.
      const realLocalhost: Resolver = () => dns.promises.lookup('localhost', { all: true });
      await expect(assertPublicTarget('http://receiver.example.com/', [], { resolve: realLocalhost })).rejects.toThrow(/loopback/);
      await expect(assertPublicTarget('http://localhost:3000/', [])).rejects.toThrow(MapperTargetRefused);
      await expect(assertPublicTarget('http://LOCALHOST./', [])).rejects.toThrow(/local host names/);
      await expect(assertPublicTarget('http://api.localhost/', [])).rejects.toThrow(/local host names/);
    });

    it('refuses when ANY resolved address is not public, and when the name does not resolve', async () => {
      await expect(refused('https://mixed.example.com/')).rejects.toThrow(/10\.0\.0\.5/);
      await expect(refused('https://metadata.example.com/')).rejects.toThrow(/linkLocal/);
      await expect(refused('https://v6local.example.com/')).rejects.toThrow(/::1/);
      await expect(refused('https://empty.example.com/')).rejects.toThrow(/no address/);
      await expect(refused('https://nowhere.example.com/')).rejects.toThrow(/could not be resolved \(ENOTFOUND\)/);
    });

    it.each(['ftp://hooks.example.com/', 'file:///etc/passwd', 'gopher://hooks.example.com/', 'javascript:alert(1)', 'ws://hooks.example.com/', 'not a url'])(
      'refuses %s (scheme or syntax)',
      async (url) => {
        await expect(refused(url, ['hooks.example.com'])).rejects.toBeInstanceOf(MapperTargetRefused);
      },
    );

    it('refuses credentials in the URL, even for an allow-listed host, without echoing them', async () => {
      const err = await refused('https://user:hunter2@hooks.example.com/', ['hooks.example.com']).catch((e: Error) => e);
      expect(err).toBeInstanceOf(MapperTargetRefused);
      expect((err as Error).message).toMatch(/credentials/);
      expect((err as Error).message).not.toContain('hunter2');
      await expect(refused('https://token@hooks.example.com/')).rejects.toThrow(/credentials/);
    });

    it('lets an allow-listed host through without resolving it (name, IP, host:port, case-insensitive)', async () => {
      const noResolve: Resolver = () => Promise.reject(new Error('must not resolve'));
      await expect(assertPublicTarget('http://127.0.0.1:8080/x', ['127.0.0.1'], { resolve: noResolve })).resolves.toMatchObject({ allowListed: true });
      await expect(assertPublicTarget('http://127.0.0.1:8080/x', ['127.0.0.1:8080'])).resolves.toMatchObject({ allowListed: true });
      await expect(assertPublicTarget('http://LocalHost/', [' localhost '])).resolves.toMatchObject({ allowListed: true });
      await expect(assertPublicTarget('http://receiver.internal:9000/', ['RECEIVER.internal'], { resolve: noResolve })).resolves.toMatchObject({ allowListed: true });
      await expect(assertPublicTarget('http://[::1]:8080/', ['[::1]:8080'])).resolves.toMatchObject({ allowListed: true });
      await expect(assertPublicTarget('http://[::1]:8080/', ['0:0:0:0:0:0:0:1'])).resolves.toMatchObject({ allowListed: true });
      await expect(assertPublicTarget('https://10.0.0.7/', ['10.0.0.7:443'])).resolves.toMatchObject({ allowListed: true });
    });

    it('does not stretch the allow-list: other port, other host, suffix', async () => {
      await expect(assertPublicTarget('http://127.0.0.1:9999/', ['127.0.0.1:8080'])).rejects.toThrow(MapperTargetRefused);
      await expect(assertPublicTarget('http://127.0.0.2/', ['127.0.0.1'])).rejects.toThrow(MapperTargetRefused);
      await expect(refused('http://evil.receiver.internal/', ['receiver.internal'])).rejects.toThrow(MapperTargetRefused);
      expect(isAllowListed(new URL('http://a.example.com/'), ['example.com', ''])).toBe(false);
    });
  });

  describe('guardedLookup', () => {
    const lookup = createGuardedLookup(
      baseLookupOf({ 'hooks.example.com': ['93.184.216.34', '2606:4700::1111'], 'rebind.example.com': ['93.184.216.34', '127.0.0.1'] }),
    );

    it('answers like dns.lookup for public hosts, with all or one address', async () => {
      const all = await lookupWith(lookup, 'hooks.example.com', { all: true });
      expect(all.err).toBeNull();
      expect(all.address).toEqual([
        { address: '93.184.216.34', family: 4 },
        { address: '2606:4700::1111', family: 6 },
      ]);
      const one = await lookupWith(lookup, 'hooks.example.com', {});
      expect(one).toEqual({ err: null, address: '93.184.216.34', family: 4 });
    });

    it('fails the connection with MapperTargetRefused when the name now resolves to a private address (rebinding)', async () => {
      const r = await lookupWith(lookup, 'rebind.example.com', { all: true });
      expect(r.err).toBeInstanceOf(MapperTargetRefused);
      expect(r.err?.message).toMatch(/127\.0\.0\.1/);
    });

    it('passes resolution errors through', async () => {
      const r = await lookupWith(lookup, 'nowhere.example.com', {});
      expect(r.err?.code).toBe('ENOTFOUND');
    });

    it('refuses "localhost" (the default instance, as used by the mapper)', async () => {
      const r = await lookupWith(guardedLookup, 'localhost', { all: true });
      expect(r.err).toBeInstanceOf(MapperTargetRefused);
    });

    it('refuses what the real dns.lookup answers for "localhost" behind another name', async () => {
      const viaRealDns = createGuardedLookup((_host, options, callback) => dns.lookup('localhost', options, callback));
      const r = await lookupWith(viaRealDns, 'receiver.example.com', {});
      expect(r.err).toBeInstanceOf(MapperTargetRefused);
    });
  });
});
