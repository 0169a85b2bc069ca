import { createTestApp, TestApp } from './helpers/test-app';

/** Security headers, CORS from configuration, and the request timeout. */
describe('HTTP hardening', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(__filename, { env: { CORS_ORIGINS: 'https://app.example.com,https://admin.example.com', REQUEST_TIMEOUT_MS: '1500' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('sends security headers on API answers and errors, and a CSP that lets the Swagger UI work', async () => {
    for (const res of [await t.http.get('/api/v1/campaigns').set(t.auth), await t.http.get('/api/v1/campaigns'), await t.http.get('/healthz')]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
      expect(res.headers['strict-transport-security']).toMatch(/max-age=/);
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
    const docs = await t.http.get('/docs/').redirects(1);
    expect(docs.status).toBe(200);
    expect(docs.headers['content-security-policy']).toMatch(/style-src 'self' 'unsafe-inline'/);
  });

  it('answers CORS pre-flights for the configured origins only', async () => {
    const ok = await t.http.options('/api/v1/campaigns').set('Origin', 'https://app.example.com').set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'x-api-key,content-type');
    expect(ok.status).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(ok.headers['access-control-allow-headers']).toMatch(/X-API-Key/i);
    const get = await t.http.get('/api/v1/campaigns').set(t.auth).set('Origin', 'https://app.example.com').expect(200);
    expect(get.headers['access-control-expose-headers']).toMatch(/X-Request-Id/);
    const other = await t.http.options('/api/v1/campaigns').set('Origin', 'https://evil.example.com').set('Access-Control-Request-Method', 'POST');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('cuts off a client that sends its request too slowly', async () => {
    const net = await import('node:net');
    const server = t.app.getHttpServer();
    if (!server.listening) await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as { port: number };
    const started = Date.now();
    const closed = await new Promise<{ data: string; ms: number }>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write('POST /api/v1/campaigns HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"na');
      });
      let data = '';
      socket.on('data', (d: Buffer) => (data += d.toString()));
      socket.on('close', () => resolve({ data, ms: Date.now() - started }));
      socket.on('error', () => undefined);
    });
    // Node checks request timeouts every 30 s (connectionsCheckingInterval), so the cut comes within that.
    expect(closed.ms).toBeLessThan(35_000);
    expect(closed.data === '' || /^HTTP\/1\.1 408/.test(closed.data)).toBe(true);
  });
});
