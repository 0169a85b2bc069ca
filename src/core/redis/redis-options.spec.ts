import { redisConnectionOptions, redisOptionsFromUrl } from './redis-options';

describe('redisOptionsFromUrl', () => {
  it('reads host, port, credentials, database and TLS', () => {
    expect(redisOptionsFromUrl('rediss://user:p%40ss@cache.internal:6380/2')).toEqual({
      host: 'cache.internal',
      port: 6380,
      username: 'user',
      password: 'p@ss',
      db: 2,
      tls: {},
    });
    expect(redisOptionsFromUrl('redis://127.0.0.1')).toMatchObject({ host: '127.0.0.1', port: 6379, db: 0, tls: undefined });
  });
  it('refuses a database that is not a number', () => {
    expect(() => redisOptionsFromUrl('redis://h/abc')).toThrow(/database number/);
  });
});

describe('redisConnectionOptions', () => {
  it('is the URL as it is without Sentinel', () => {
    expect(redisConnectionOptions({ url: 'redis://:pw@cache:6380/3', queuePrefix: 'geo', sentinel: null, cluster: null })).toEqual(redisOptionsFromUrl('redis://:pw@cache:6380/3'));
  });
  it('asks the sentinels for the primary, with the credentials, database and TLS of the URL', () => {
    const o = redisConnectionOptions({
      url: 'rediss://app:secret@ignored.example:6379/2',
      queuePrefix: 'geo',
      sentinel: { hosts: ['s1.internal:26379', '[::1]:26380'], name: 'geo-primary', password: 'sp' },
      cluster: null,
    });
    expect(o).toMatchObject({
      host: undefined,
      port: undefined,
      name: 'geo-primary',
      sentinels: [
        { host: 's1.internal', port: 26379 },
        { host: '[::1]', port: 26380 },
      ],
      sentinelPassword: 'sp',
      username: 'app',
      password: 'secret',
      db: 2,
      tls: {},
      enableTLSForSentinelMode: true,
    });
    const reconnect = o.reconnectOnError as (err: Error) => boolean | 1 | 2;
    expect(reconnect(new Error("READONLY You can't write against a read only replica."))).toBe(2);
    expect(reconnect(new Error('ERR unknown command'))).toBe(false);
  });
});
