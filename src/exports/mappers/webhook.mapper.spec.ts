import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ExportRecord } from '../export-record';
import { MapperConfigError, MapperContext, MapperTargetRefused } from './mapper';
import { WebhookConfig, WebhookMapper, WebhookOptions, parseRetryAfter, signWebhookPayload, verifyWebhookSignature } from './webhook.mapper';

const SECRET = 'whsec_0123456789abcdefXY';
const OPTS: WebhookOptions = { batchSize: 500, maxAttempts: 3, timeoutMs: 2000, retryBaseMs: 5 };

type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang' | 'endless';

interface Received {
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
  body: { export_id: string; run_id: string; batch: number; records: ExportRecord[] };
  at: number;
  /** How many records the source had produced when this request arrived. */
  produced: number;
}

/** A real HTTP receiver on 127.0.0.1 whose answers each test scripts. */
class Receiver {
  readonly received: Received[] = [];
  reply: (req: Received, index: number) => Reply = () => ({ status: 204 });
  produced = 0;
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const rec: Received = { headers: req.headers, raw, body: JSON.parse(raw.toString('utf8')), at: Date.now(), produced: this.produced };
      this.received.push(rec);
      const r = this.reply(rec, this.received.length - 1);
      if (r === 'hang') return;
      if (r === 'endless') {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        const chunk = Buffer.alloc(16 * 1024, 0x61);
        const pump = (): void => {
          while (res.write(chunk));
          res.once('drain', pump);
        };
        res.on('error', () => undefined);
        return pump();
      }
      res.writeHead(r.status, r.headers ?? {});
      res.end(r.body ?? '');
    });
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/geo?token=abc`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function record(i: number): ExportRecord {
  return {
    run_id: 'run-1',
    run_item_id: `item-${i}`,
    campaign: { id: 'c1', name: 'Campaign' },
    topic: null,
    persona: null,
    question: { id: `q${i % 7}`, text: 'Which CRM is best for startups?' },
    provider: 'openai',
    model: 'gpt-4o-mini',
    sample_index: i % 3,
    status: 'succeeded',
    attempt_count: 1,
    last_error: null,
    answer: {
      text: `Answer ${i} — “unicode” ✓`,
      served_model: 'gpt-4o-mini-2024-07-18',
      citations: [{ position: 1, url: 'https://example.com/a', title: null, domain: 'example.com' }],
      usage: { input_tokens: 12, output_tokens: 34 },
      latency_ms: 321,
      cost_usd: 0.0001,
      cache_hit: false,
      created_at: '2025-01-01T00:00:00.000Z',
    },
    analysis: { brand_mentioned: i % 2 === 0 },
    created_at: '2025-01-01T00:00:00.000Z',
    finished_at: '2025-01-01T00:00:01.000Z',
  };
}

async function* source(n: number, receiver?: Receiver): AsyncIterable<ExportRecord> {
  for (let i = 0; i < n; i++) {
    if (receiver) receiver.produced++;
    yield record(i);
  }
}

const logger = (): { warn: jest.Mock; debug: jest.Mock } => ({ warn: jest.fn(), debug: jest.fn() });
const ctx = (extra: Partial<MapperContext> = {}): MapperContext => ({ exportId: 'exp-123', runId: 'run-1', logger: logger(), ...extra });

describe('WebhookMapper', () => {
  let receiver: Receiver;
  let mapper: WebhookMapper;
  const config = (extra: Partial<WebhookConfig> = {}): WebhookConfig => mapper.parseConfig({ url: receiver.url, secret: SECRET, ...extra });

  beforeEach(async () => {
    receiver = await new Receiver().start();
    mapper = new WebhookMapper(['127.0.0.1'], OPTS);
  });

  afterEach(async () => {
    await receiver.stop();
  });

  it('delivers 1,234 records at batch size 500 as 500/500/234, signed, reading one batch at a time', async () => {
    const c = ctx();
    const startedAt = Math.floor(Date.now() / 1000);
    const result = await mapper.deliver(source(1234, receiver), config(), c);

    expect(result).toMatchObject({ rows: 1234, delivered: 1234, failed: 0 });
    expect(result.deliveries.map((d) => [d.batch, d.rows, d.status, d.attempts, d.http_status, d.error])).toEqual([
      [1, 500, 'delivered', 1, 204, null],
      [2, 500, 'delivered', 1, 204, null],
      [3, 234, 'delivered', 1, 204, null],
    ]);
    expect(receiver.received.map((r) => r.body.records.length)).toEqual([500, 500, 234]);
    // Never more than one batch read ahead of what was sent.
    expect(receiver.received.map((r) => r.produced)).toEqual([500, 1000, 1234]);
    expect(receiver.received.flatMap((r) => r.body.records.map((x) => x.run_item_id))).toEqual(Array.from({ length: 1234 }, (_, i) => `item-${i}`));

    receiver.received.forEach((r, i) => {
      const batch = i + 1;
      expect(r.body).toMatchObject({ export_id: 'exp-123', run_id: 'run-1', batch });
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['user-agent']).toBe('geo-visibility-engine-webhook/1');
      expect(r.headers['x-geo-export-id']).toBe('exp-123');
      expect(r.headers['x-geo-batch']).toBe(String(batch));
      expect(r.headers['x-geo-delivery-id']).toBe(`exp-123:${batch}`);
      const ts = Number(r.headers['x-geo-timestamp']);
      expect(ts).toBeGreaterThanOrEqual(startedAt);
      expect(ts).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
      expect(r.headers['x-geo-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(verifyWebhookSignature(SECRET, r.headers['x-geo-timestamp'], r.headers['x-geo-signature'], r.raw, Math.floor(Date.now() / 1000))).toBe(true);
      expect(verifyWebhookSignature('another-secret-0123456789', r.headers['x-geo-timestamp'], r.headers['x-geo-signature'], r.raw, Math.floor(Date.now() / 1000))).toBe(false);
    });
  });

  it('uses config.batch_size over the default and sends nothing for an empty export', async () => {
    const result = await mapper.deliver(source(5), config({ batch_size: 2 }), ctx());
    expect(receiver.received.map((r) => r.body.records.length)).toEqual([2, 2, 1]);
    expect(result).toMatchObject({ rows: 5, delivered: 5, failed: 0 });

    const empty = await mapper.deliver(source(0), config(), ctx());
    expect(empty).toEqual({ rows: 0, delivered: 0, failed: 0, deliveries: [] });
    expect(receiver.received).toHaveLength(3);
  });

  it('retries a 503 and records the success on attempt 2, with the same delivery id and a fresh signature', async () => {
    receiver.reply = (_r, i) => (i === 0 ? { status: 503, body: 'busy' } : { status: 200, body: '{"ok":true}' });
    const result = await mapper.deliver(source(3), config(), ctx());
    expect(result.deliveries).toEqual([expect.objectContaining({ batch: 1, status: 'delivered', attempts: 2, http_status: 200, error: null })]);
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received.map((r) => r.headers['x-geo-delivery-id'])).toEqual(['exp-123:1', 'exp-123:1']);
    expect(receiver.received[0].raw.equals(receiver.received[1].raw)).toBe(true);
    for (const r of receiver.received) {
      expect(verifyWebhookSignature(SECRET, r.headers['x-geo-timestamp'], r.headers['x-geo-signature'], r.raw, Math.floor(Date.now() / 1000))).toBe(true);
    }
  });

  it('honours Retry-After on a 429', async () => {
    receiver.reply = (_r, i) => (i === 0 ? { status: 429, headers: { 'Retry-After': '1' } } : { status: 200 });
    const result = await mapper.deliver(source(1), config(), ctx());
    expect(result.deliveries[0]).toMatchObject({ status: 'delivered', attempts: 2 });
    const gap = receiver.received[1].at - receiver.received[0].at;
    expect(gap).toBeGreaterThanOrEqual(950); // retryBaseMs is 5: only Retry-After explains this wait
    expect(gap).toBeLessThan(3000);
  });

  it('records a 400 batch as failed without retrying and delivers the others', async () => {
    const c = ctx();
    receiver.reply = (r) => (r.body.batch === 2 ? { status: 400, body: 'bad payload' } : { status: 202 });
    const result = await mapper.deliver(source(5), config({ batch_size: 2 }), c);
    expect(result).toMatchObject({ rows: 5, delivered: 3, failed: 2 });
    expect(result.deliveries.map((d) => [d.batch, d.status, d.attempts, d.http_status, d.error])).toEqual([
      [1, 'delivered', 1, 202, null],
      [2, 'failed', 1, 400, 'HTTP 400 Bad Request'],
      [3, 'delivered', 1, 202, null],
    ]);
    expect(receiver.received.map((r) => r.body.batch)).toEqual([1, 2, 3]);
    expect(c.logger?.warn).toHaveBeenCalledWith(expect.objectContaining({ export_id: 'exp-123', batch: 2, http_status: 400 }), 'webhook batch failed');
    const logged = JSON.stringify([(c.logger?.warn as jest.Mock).mock.calls, (c.logger?.debug as jest.Mock).mock.calls]);
    expect(logged).not.toContain(SECRET);
    expect(logged).not.toContain('token=abc');
  });

  it('fails a batch after maxAttempts of 5xx and goes on with the next', async () => {
    receiver.reply = (r) => (r.body.batch === 1 ? { status: 500 } : { status: 200 });
    const result = await mapper.deliver(source(4), config({ batch_size: 2 }), ctx());
    expect(result.deliveries.map((d) => [d.status, d.attempts, d.http_status])).toEqual([
      ['failed', 3, 500],
      ['delivered', 1, 200],
    ]);
    expect(receiver.received).toHaveLength(4);
  });

  it('does not follow a redirect: a 302 fails the batch and the Location is never requested', async () => {
    const elsewhere = await new Receiver().start();
    try {
      receiver.reply = () => ({ status: 302, headers: { Location: elsewhere.url } });
      const result = await mapper.deliver(source(2), config(), ctx());
      expect(result.deliveries[0]).toMatchObject({ status: 'failed', attempts: 1, http_status: 302, error: 'redirect not followed (HTTP 302)' });
      expect(receiver.received).toHaveLength(1);
      expect(elsewhere.received).toHaveLength(0);
    } finally {
      await elsewhere.stop();
    }
  });

  it('retries a timeout and fails the batch after maxAttempts', async () => {
    mapper = new WebhookMapper(['127.0.0.1'], { ...OPTS, timeoutMs: 150 });
    receiver.reply = () => 'hang';
    const result = await mapper.deliver(source(1), config(), ctx());
    expect(result.deliveries[0]).toMatchObject({ status: 'failed', attempts: 3, http_status: null });
    expect(result.deliveries[0].error).toMatch(/timeout/);
    expect(receiver.received).toHaveLength(3);
    expect(result).toMatchObject({ rows: 1, delivered: 0, failed: 1 });
  });

  it('retries network errors (connection refused) and records them', async () => {
    const closed = await new Receiver().start();
    const url = closed.url;
    await closed.stop();
    const result = await mapper.deliver(source(1), mapper.parseConfig({ url, secret: SECRET }), ctx());
    expect(result.deliveries[0]).toMatchObject({ status: 'failed', attempts: 3, http_status: null });
    expect(result.deliveries[0].error).toMatch(/ECONNREFUSED/);
  });

  it('reads at most a small part of a response body (an endless 200 still delivers)', async () => {
    receiver.reply = () => 'endless';
    const started = Date.now();
    const result = await mapper.deliver(source(1), config(), ctx());
    expect(result.deliveries[0]).toMatchObject({ status: 'delivered', attempts: 1, http_status: 200 });
    expect(Date.now() - started).toBeLessThan(OPTS.timeoutMs);
  });

  it('stops when ctx.signal aborts, mid-request, without reading further records', async () => {
    receiver.reply = () => 'hang';
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    await expect(mapper.deliver(source(10, receiver), config({ batch_size: 2 }), ctx({ signal: controller.signal }))).rejects.toThrow(/abort/i);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(receiver.produced).toBe(2);
    await expect(mapper.deliver(source(1), config(), ctx({ signal: controller.signal }))).rejects.toThrow(/abort/i);
  });

  describe('target guard', () => {
    it('refuses 127.0.0.1 without the allow-list, in checkTarget and in deliver, before any request or read', async () => {
      const strict = new WebhookMapper([], OPTS);
      const c = strict.parseConfig({ url: receiver.url, secret: SECRET });
      await expect(strict.checkTarget(c)).rejects.toBeInstanceOf(MapperTargetRefused);
      await expect(strict.deliver(source(3, receiver), c, ctx())).rejects.toBeInstanceOf(MapperTargetRefused);
      expect(receiver.received).toHaveLength(0);
      expect(receiver.produced).toBe(0);
      await expect(mapper.checkTarget(config())).resolves.toBeUndefined();
    });

    it('re-checks at connect time: a name that passed the check but now resolves to 127.0.0.1 is refused (DNS rebinding)', async () => {
      const port = new URL(receiver.url).port;
      const rebinding = new WebhookMapper([], OPTS, {
        resolve: async () => [{ address: '93.184.216.34', family: 4 }],
        dnsLookup: (_host, _options, callback) => callback(null, [{ address: '127.0.0.1', family: 4 }]),
      });
      const c = rebinding.parseConfig({ url: `http://hooks.example.test:${port}/in`, secret: SECRET });
      await expect(rebinding.checkTarget(c)).resolves.toBeUndefined();
      await expect(rebinding.deliver(source(3), c, ctx())).rejects.toThrow(/127\.0\.0\.1/);
      await expect(rebinding.deliver(source(3), c, ctx())).rejects.toBeInstanceOf(MapperTargetRefused);
      expect(receiver.received).toHaveLength(0);
    });
  });

  describe('config', () => {
    const fields = (raw: unknown): string[] => {
      try {
        mapper.parseConfig(raw);
      } catch (err) {
        expect(err).toBeInstanceOf(MapperConfigError);
        return (err as MapperConfigError).errors.map((e) => e.field);
      }
      throw new Error('expected a MapperConfigError');
    };

    it('normalizes a valid config and applies the default batch size', () => {
      expect(mapper.parseConfig({ url: 'https://hooks.example.com/in#frag', secret: SECRET })).toEqual({ url: 'https://hooks.example.com/in', secret: SECRET, batch_size: 500 });
      expect(mapper.parseConfig({ url: 'http://h.example.com', secret: 'x'.repeat(512), batch_size: 10000 }).batch_size).toBe(10000);
    });

    it('names every bad field', () => {
      expect(fields(null)).toEqual(['config']);
      expect(fields(['x'])).toEqual(['config']);
      expect(fields('https://x')).toEqual(['config']);
      expect(fields({})).toEqual(['config.url', 'config.secret']);
      expect(fields({ url: 'https://ok.example.com', secret: SECRET, headers: {}, method: 'PUT' })).toEqual(['config.headers', 'config.method']);
      expect(fields({ url: 'ftp://files.example.com/', secret: SECRET })).toEqual(['config.url']);
      expect(fields({ url: 'not a url', secret: SECRET })).toEqual(['config.url']);
      expect(fields({ url: 'https://u:p@hooks.example.com/', secret: SECRET })).toEqual(['config.url']);
      expect(fields({ url: `https://hooks.example.com/${'a'.repeat(2048)}`, secret: SECRET })).toEqual(['config.url']);
      expect(fields({ url: 123, secret: SECRET })).toEqual(['config.url']);
      expect(fields({ url: 'https://hooks.example.com', secret: 'short' })).toEqual(['config.secret']);
      expect(fields({ url: 'https://hooks.example.com', secret: 'x'.repeat(513) })).toEqual(['config.secret']);
      expect(fields({ url: 'https://hooks.example.com', secret: 1234567890123456 })).toEqual(['config.secret']);
      for (const batch_size of [0, 10001, 1.5, '100', null, -1]) {
        expect(fields({ url: 'https://hooks.example.com', secret: SECRET, batch_size })).toEqual(['config.batch_size']);
      }
      expect(fields(JSON.parse('{"url":"https://hooks.example.com","secret":"0123456789abcdef","__proto__":{"x":1}}'))).toEqual(['config.__proto__']);
    });

    it('redacts the secret and query values for storage', () => {
      const stored = mapper.redact(mapper.parseConfig({ url: 'https://hooks.example.com/in?token=s3cr3t&team=a', secret: SECRET, batch_size: 50 }));
      expect(stored).toEqual({ url: 'https://hooks.example.com/in?token=****&team=****', secret: '****XY', batch_size: 50 });
      expect(JSON.stringify(stored)).not.toContain('s3cr3t');
      expect(mapper.redact(mapper.parseConfig({ url: 'https://hooks.example.com/in', secret: SECRET })).url).toBe('https://hooks.example.com/in');
    });
  });
});

describe('verifyWebhookSignature', () => {
  const body = '{"export_id":"e","run_id":"r","batch":1,"records":[]}';
  const now = 1_750_000_000;
  const sig = signWebhookPayload(SECRET, now, body);

  it('accepts the exact body within the tolerance', () => {
    expect(verifyWebhookSignature(SECRET, String(now), sig, body, now)).toBe(true);
    expect(verifyWebhookSignature(SECRET, String(now), sig, Buffer.from(body), now + 300)).toBe(true);
    expect(verifyWebhookSignature(SECRET, String(now), `sha256=${'0'.repeat(64)}, ${sig}`, body, now)).toBe(true); // rotation: several signatures
  });

  it('rejects a changed body, another secret, a stale or future timestamp, and malformed headers', () => {
    expect(verifyWebhookSignature(SECRET, String(now), sig, body.replace('"batch":1', '"batch":2'), now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, String(now), sig, `${body} `, now)).toBe(false);
    expect(verifyWebhookSignature('x'.repeat(24), String(now), sig, body, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, String(now), sig, body, now + 301)).toBe(false);
    expect(verifyWebhookSignature(SECRET, String(now), sig, body, now - 301)).toBe(false);
    expect(verifyWebhookSignature(SECRET, String(now + 1), sig, body, now)).toBe(false); // timestamp is signed
    expect(verifyWebhookSignature(SECRET, undefined, sig, body, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, String(now), undefined, body, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, [String(now)], sig, body, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, `${now}.5`, sig, body, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, String(now), sig.replace('sha256=', ''), body, now)).toBe(false);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');
  it.each<[string | undefined, number | null]>([
    ['2', 2000],
    ['0', 0],
    ['120', 60000],
    ['Sun, 01 Jun 2025 12:00:03 GMT', 3000],
    ['Sun, 01 Jun 2025 11:00:00 GMT', 0],
    ['Sun, 01 Jun 2025 13:00:00 GMT', 60000],
    ['soon', null],
    ['-1', null],
    [undefined, null],
  ])('%s → %s ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });
});
