/**
 * Webhook mapper: POSTs an export's records, in batches, to the client's HTTPS endpoint.
 *
 * Config: `{ "url": "https://…" (http or https, ≤ 2048 chars), "secret": "16–512 chars",
 * "batch_size": 1–10000 (default WEBHOOK_BATCH_SIZE) }`.
 *
 * Each batch is one request:
 *   POST <url>
 *   Content-Type: application/json
 *   User-Agent: geo-visibility-engine-webhook/1
 *   X-Geo-Export-Id: <export id>
 *   X-Geo-Batch: <n, 1-based>
 *   X-Geo-Delivery-Id: <export id>:<n>        same on every retry of the batch: drop duplicates by it
 *   X-Geo-Timestamp: <unix seconds>           when this attempt was signed
 *   X-Geo-Signature: sha256=<hex>             HMAC-SHA256(secret, `${timestamp}.${raw body}`)
 *   {"export_id": "...", "run_id": "...", "batch": n, "records": [ExportRecord, ...]}
 *
 * Verifying (as with Stripe's scheme): recompute the HMAC over the exact raw request bytes (before
 * any JSON parsing), compare in constant time, and reject a timestamp outside your replay window
 * (5 minutes is usual); `verifyWebhookSignature` below does all three. Retries are signed afresh,
 * so a delayed retry still carries a current timestamp.
 *
 * A 2xx delivers the batch. Network errors, timeouts, 408, 425, 429 and 5xx are retried with
 * exponential back-off and full jitter (or after `Retry-After`, capped at 60 s) up to
 * WEBHOOK_MAX_ATTEMPTS; any other status fails the batch at once. Redirects are not followed (the
 * Location could point anywhere, private hosts included): a 3xx fails the batch. A failed batch is
 * recorded and delivery goes on with the next one.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { LookupFunction } from 'node:net';
import { ExportRecord } from '../export-record';
import { DeliveryOutcome, ExportMapper, MapperConfigError, MapperContext, MapperResult, MapperTargetRefused, maskSecret } from './mapper';
import { BaseLookup, Resolver, assertPublicTarget, createGuardedLookup } from './ssrf-guard';

export interface WebhookConfig {
  url: string;
  secret: string;
  batch_size: number;
}

/** AppConfig.webhook. */
export interface WebhookOptions {
  batchSize: number;
  maxAttempts: number;
  timeoutMs: number;
  retryBaseMs: number;
}

/** Seams for tests: the pre-check's resolver and the connect-time lookup's underlying dns.lookup. */
export interface WebhookMapperDeps {
  resolve?: Resolver;
  dnsLookup?: BaseLookup;
}

export const WEBHOOK_USER_AGENT = 'geo-visibility-engine-webhook/1';
export const WEBHOOK_MAX_URL_LENGTH = 2048;
export const WEBHOOK_MAX_BATCH_SIZE = 10_000;
/** Upper bound of any wait between attempts, Retry-After included. */
export const WEBHOOK_MAX_RETRY_DELAY_MS = 60_000;
/** Response bodies are read (so keep-alive works) and discarded; past this the socket is dropped. */
const RESPONSE_BODY_CAP_BYTES = 64 * 1024;
const RETRYABLE_STATUSES = new Set([408, 425, 429]);
const CONFIG_KEYS = ['url', 'secret', 'batch_size'];

/** `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`. */
export function signWebhookPayload(secret: string, timestamp: number | string, rawBody: string | Buffer): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${timestamp}.`);
  hmac.update(rawBody);
  return `sha256=${hmac.digest('hex')}`;
}

type HeaderValue = string | string[] | null | undefined;

/**
 * For receivers: true when `signatureHeader` (one or more comma-separated `sha256=<hex>`) holds the
 * HMAC of `${timestampHeader}.${rawBody}` and the timestamp is within `toleranceSeconds` of now.
 */
export function verifyWebhookSignature(
  secret: string,
  timestampHeader: HeaderValue,
  signatureHeader: HeaderValue,
  rawBody: string | Buffer,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  if (typeof timestampHeader !== 'string' || typeof signatureHeader !== 'string') return false;
  if (!/^\d{1,12}$/.test(timestampHeader)) return false;
  if (Math.abs(nowSeconds - Number(timestampHeader)) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhookPayload(secret, timestampHeader, rawBody), 'utf8');
  let ok = false;
  for (const candidate of signatureHeader.split(',')) {
    const given = Buffer.from(candidate.trim(), 'utf8');
    // Every candidate is compared (no early exit) so timing does not tell which one matched.
    if (given.length === expected.length && timingSafeEqual(given, expected)) ok = true;
  }
  return ok;
}

/** Retry-After (delay seconds or HTTP date) in ms, capped at 60 s; null when absent or unreadable. */
export function parseRetryAfter(value: HeaderValue, nowMs: number): number | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const v = value.trim();
  let ms: number;
  if (/^\d+$/.test(v)) ms = Number(v) * 1000;
  else {
    // An HTTP date has a weekday and a month name; Date.parse alone would take "-1" for a year.
    if (!/[a-z]{3}/i.test(v)) return null;
    const at = Date.parse(v);
    if (Number.isNaN(at)) return null;
    ms = at - nowMs;
  }
  return Math.min(Math.max(ms, 0), WEBHOOK_MAX_RETRY_DELAY_MS);
}

/** The URL with every query value masked: webhook URLs often carry a token there. */
function maskQuery(url: string): string {
  const u = new URL(url);
  if (!u.search) return u.toString();
  u.search = [...u.searchParams.keys()].map((k) => `${encodeURIComponent(k)}=****`).join('&');
  return u.toString();
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const err = new Error('webhook delivery aborted');
  err.name = 'AbortError';
  return err;
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortError(signal);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

type Attempt =
  | { kind: 'response'; status: number; statusText: string; retryAfter: HeaderValue }
  | { kind: 'error'; error: string };

function describeError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const msg = e instanceof Error ? e.message : String(err);
  return (e.code && !msg.includes(e.code) ? `${e.code}: ${msg}` : msg).slice(0, 300);
}

export class WebhookMapper implements ExportMapper<WebhookConfig> {
  readonly name = 'webhook';
  private readonly lookup: LookupFunction;

  constructor(
    private readonly allowedHosts: readonly string[],
    private readonly opts: WebhookOptions,
    private readonly deps: WebhookMapperDeps = {},
  ) {
    this.lookup = createGuardedLookup(deps.dnsLookup);
  }

  parseConfig(raw: unknown): WebhookConfig {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new MapperConfigError([{ field: 'config', message: 'must be an object with url and secret' }]);
    }
    const o = raw as Record<string, unknown>;
    const errors: { field: string; message: string }[] = [];
    for (const key of Object.keys(o)) {
      if (!CONFIG_KEYS.includes(key)) errors.push({ field: `config.${key}`, message: `is not a known field (${CONFIG_KEYS.join(', ')})` });
    }

    let url = '';
    if (typeof o.url !== 'string' || o.url.trim() === '') errors.push({ field: 'config.url', message: 'is required: an http or https URL' });
    else if (o.url.length > WEBHOOK_MAX_URL_LENGTH) errors.push({ field: 'config.url', message: `must be at most ${WEBHOOK_MAX_URL_LENGTH} characters` });
    else {
      let u: URL | null = null;
      try {
        u = new URL(o.url);
      } catch {
        errors.push({ field: 'config.url', message: 'is not a valid URL' });
      }
      if (u && u.protocol !== 'http:' && u.protocol !== 'https:') errors.push({ field: 'config.url', message: 'must use http or https' });
      else if (u && (u.username || u.password)) errors.push({ field: 'config.url', message: 'must not contain credentials; the payload is signed with config.secret' });
      else if (u) {
        u.hash = ''; // never sent anyway
        url = u.toString();
      }
    }

    let secret = '';
    if (typeof o.secret !== 'string') errors.push({ field: 'config.secret', message: 'is required: a string of 16 to 512 characters' });
    else if (o.secret.length < 16 || o.secret.length > 512) errors.push({ field: 'config.secret', message: 'must be 16 to 512 characters long' });
    else secret = o.secret;

    let batchSize = this.opts.batchSize;
    if (o.batch_size !== undefined) {
      if (typeof o.batch_size !== 'number' || !Number.isInteger(o.batch_size) || o.batch_size < 1 || o.batch_size > WEBHOOK_MAX_BATCH_SIZE) {
        errors.push({ field: 'config.batch_size', message: `must be an integer from 1 to ${WEBHOOK_MAX_BATCH_SIZE}` });
      } else batchSize = o.batch_size;
    }

    if (errors.length) throw new MapperConfigError(errors);
    return { url, secret, batch_size: batchSize };
  }

  redact(config: WebhookConfig): Record<string, unknown> {
    return { url: maskQuery(config.url), secret: maskSecret(config.secret), batch_size: config.batch_size };
  }

  async checkTarget(config: WebhookConfig): Promise<void> {
    await assertPublicTarget(config.url, this.allowedHosts, { resolve: this.deps.resolve });
  }

  async deliver(records: AsyncIterable<ExportRecord>, config: WebhookConfig, ctx: MapperContext): Promise<MapperResult> {
    throwIfAborted(ctx.signal);
    const target = await assertPublicTarget(config.url, this.allowedHosts, { resolve: this.deps.resolve });
    const url = target.url;
    // One keep-alive connection per export; allow-listed hosts skip the connect-time address check.
    const agent = url.protocol === 'https:' ? new https.Agent({ keepAlive: true, maxSockets: 1 }) : new http.Agent({ keepAlive: true, maxSockets: 1 });
    const lookup = target.allowListed ? undefined : this.lookup;
    const result: MapperResult = { rows: 0, delivered: 0, failed: 0, deliveries: [] };

    const flush = async (batch: ExportRecord[]): Promise<void> => {
      const outcome = await this.sendBatch(result.deliveries.length + 1, batch, url, config.secret, ctx, agent, lookup);
      result.deliveries.push(outcome);
      if (outcome.status === 'delivered') result.delivered += outcome.rows;
      else result.failed += outcome.rows;
    };

    try {
      let batch: ExportRecord[] = [];
      for await (const record of records) {
        throwIfAborted(ctx.signal);
        batch.push(record);
        result.rows++;
        if (batch.length >= config.batch_size) {
          const full = batch;
          batch = [];
          await flush(full);
        }
      }
      if (batch.length) await flush(batch);
    } finally {
      agent.destroy();
    }
    return result;
  }

  private async sendBatch(
    n: number,
    records: ExportRecord[],
    url: URL,
    secret: string,
    ctx: MapperContext,
    agent: http.Agent,
    lookup: LookupFunction | undefined,
  ): Promise<DeliveryOutcome> {
    const started = Date.now();
    const body = Buffer.from(JSON.stringify({ export_id: ctx.exportId, run_id: ctx.runId, batch: n, records }), 'utf8');
    const log = { export_id: ctx.exportId, run_id: ctx.runId, batch: n, target: url.origin };
    const settle = (status: DeliveryOutcome['status'], attempts: number, httpStatus: number | null, error: string | null): DeliveryOutcome => ({
      batch: n,
      rows: records.length,
      status,
      attempts,
      http_status: httpStatus,
      error,
      at: new Date().toISOString(),
      duration_ms: Date.now() - started,
    });

    for (let attempt = 1; ; attempt++) {
      throwIfAborted(ctx.signal);
      const timestamp = Math.floor(Date.now() / 1000);
      const headers = {
        'Content-Type': 'application/json',
        'Content-Length': String(body.length),
        'User-Agent': WEBHOOK_USER_AGENT,
        'X-Geo-Export-Id': ctx.exportId,
        'X-Geo-Batch': String(n),
        'X-Geo-Delivery-Id': `${ctx.exportId}:${n}`,
        'X-Geo-Timestamp': String(timestamp),
        'X-Geo-Signature': signWebhookPayload(secret, timestamp, body),
      };
      const res = await this.postOnce(url, body, headers, agent, lookup, ctx.signal);

      let httpStatus: number | null = null;
      let error: string;
      let retryable: boolean;
      let delayMs: number | null = null;
      if (res.kind === 'response') {
        httpStatus = res.status;
        if (res.status >= 200 && res.status < 300) {
          ctx.logger?.debug?.({ ...log, attempts: attempt, http_status: res.status }, 'webhook batch delivered');
          return settle('delivered', attempt, res.status, null);
        }
        if (res.status >= 300 && res.status < 400) {
          error = `redirect not followed (HTTP ${res.status})`;
          retryable = false;
        } else {
          error = `HTTP ${res.status}${res.statusText ? ` ${res.statusText.slice(0, 100)}` : ''}`;
          retryable = RETRYABLE_STATUSES.has(res.status) || res.status >= 500;
          delayMs = parseRetryAfter(res.retryAfter, Date.now());
        }
      } else {
        error = res.error;
        retryable = true;
      }

      if (!retryable || attempt >= this.opts.maxAttempts) {
        ctx.logger?.warn({ ...log, attempts: attempt, http_status: httpStatus, error }, 'webhook batch failed');
        return settle('failed', attempt, httpStatus, error);
      }
      delayMs ??= this.backoffMs(attempt);
      ctx.logger?.debug?.({ ...log, attempt, http_status: httpStatus, error, retry_in_ms: delayMs }, 'webhook attempt failed, retrying');
      await sleep(delayMs, ctx.signal);
    }
  }

  /** Full jitter: uniform in [0, min(cap, base·2^(attempt-1))]. */
  private backoffMs(attempt: number): number {
    const ceiling = Math.min(WEBHOOK_MAX_RETRY_DELAY_MS, this.opts.retryBaseMs * 2 ** (attempt - 1));
    return Math.round(Math.random() * ceiling);
  }

  /**
   * One POST. Resolves with the status (body drained up to the cap, then dropped) or a retryable
   * network error / timeout; rejects only for the SSRF guard's refusal and for an abort.
   */
  private postOnce(
    url: URL,
    body: Buffer,
    headers: Record<string, string>,
    agent: http.Agent,
    lookup: LookupFunction | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Attempt> {
    return new Promise<Attempt>((resolve, reject) => {
      let settled = false;
      let timedOut = false;
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        fn();
      };

      const options: http.RequestOptions = { method: 'POST', headers, agent, ...(lookup ? { lookup } : {}) };
      const req = (url.protocol === 'https:' ? https : http).request(url, options, (res) => {
        const answer: Attempt = { kind: 'response', status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', retryAfter: res.headers['retry-after'] };
        const done = (): void => finish(() => resolve(answer));
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > RESPONSE_BODY_CAP_BYTES) {
            res.destroy();
            done();
          }
        });
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      });

      const onAbort = (): void => {
        req.destroy();
        finish(() => reject(abortError(signal as AbortSignal)));
      };
      const timer = setTimeout(() => {
        timedOut = true;
        req.destroy(new Error(`no response within ${this.opts.timeoutMs} ms`));
      }, this.opts.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });

      req.on('error', (err) => {
        if (err instanceof MapperTargetRefused) return finish(() => reject(err));
        finish(() => resolve({ kind: 'error', error: timedOut ? `timeout: no response within ${this.opts.timeoutMs} ms` : describeError(err) }));
      });
      req.end(body);
    });
  }
}
