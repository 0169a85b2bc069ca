import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { generateAnswer } from './answers';
import { defaultConfig, EmulatorConfigError, mergeConfig, type EmulatorConfig, type EmulatorConfigInput, type LatencyRange, type ProviderName } from './config';
import { AttemptCounter, decideFaults, FAULT_OVERRIDES, parseFaultOverride } from './faults';
import { isProviderError, type ProviderError, type ProviderFormat } from './formats/format';
import { geminiFormat, redirectTarget } from './formats/gemini';
import { openaiFormat } from './formats/openai';
import { perplexityFormat } from './formats/perplexity';
import { hashString, hexId, rngFor, type Rng } from './random';
import { EmulatorStats, type StatsSnapshot } from './stats';

/**
 * The provider emulator's HTTP server: plain node:http (no framework on the hot path), one
 * server for the three providers, each under its own prefix because OpenAI and Perplexity both
 * answer POST /v1/responses:
 *
 *   POST /openai/v1/responses                          base URL http://HOST:PORT/openai/v1
 *   POST /perplexity/v1/agent, /perplexity/v1/responses base URL http://HOST:PORT/perplexity/v1
 *   POST /gemini/v1beta/models/{model}:generateContent  base URL http://HOST:PORT/gemini
 *   GET  /grounding-api-redirect/{token}               302 to the URL a Gemini chunk cites
 *   GET  /__emulator/health | /__emulator/stats | /__emulator/config
 *   PUT  /__emulator/config (deep merge)   POST /__emulator/reset   DELETE /__emulator/stats
 *
 * A provider request goes: count the arrival -> QPS ceiling (429) -> auth -> JSON -> model ->
 * fault draw -> latency -> answer. Rejections before the model runs (QPS, auth, 4xx, injected
 * 429) are immediate; 5xx, malformed bodies and answers wait for the configured latency.
 */

export interface EmulatorHandle {
  /** Where the emulator listens (or its configured publicUrl). */
  url: string;
  /** Base URLs to give the real clients (OPENAI_BASE_URL, PERPLEXITY_BASE_URL, GEMINI_BASE_URL). */
  baseUrls: Record<ProviderName, string>;
  config(): EmulatorConfig;
  /** Deep-merges a partial configuration at run time; throws EmulatorConfigError when invalid. */
  setConfig(partial: EmulatorConfigInput): EmulatorConfig;
  /** Back to the start configuration, statistics cleared. */
  reset(): void;
  stats(): StatsSnapshot;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;

class BodyTooLargeError extends Error {}

export async function startEmulator(config?: EmulatorConfigInput): Promise<EmulatorHandle> {
  const startConfig = mergeConfig(defaultConfig(), config);
  const emulator = new Emulator(startConfig);
  await emulator.listen();
  return emulator.handle();
}

class Emulator {
  private config: EmulatorConfig;
  private readonly stats = new EmulatorStats();
  private readonly attempts = new AttemptCounter();
  private readonly server: Server;
  /** Latency timers and held ("timeout") responses, so close() leaves nothing behind. */
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly held = new Set<ServerResponse>();
  private listenUrl = '';

  constructor(private readonly startConfig: EmulatorConfig) {
    this.config = structuredClone(startConfig);
    this.server = createServer((req, res) => this.dispatch(req, res));
    // Longer than clients' idle keep-alive, so the server never closes a socket a client is reusing.
    this.server.keepAliveTimeout = 65_000;
    this.server.headersTimeout = 66_000;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.startConfig.port, this.startConfig.host, () => {
        this.server.off('error', reject);
        const { port } = this.server.address() as AddressInfo;
        const host = ['0.0.0.0', '::', ''].includes(this.startConfig.host) ? '127.0.0.1' : this.startConfig.host;
        this.listenUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
        resolve();
      });
    });
  }

  handle(): EmulatorHandle {
    const url = (this.config.publicUrl ?? this.listenUrl).replace(/\/+$/, '');
    return {
      url,
      baseUrls: { openai: `${url}/openai/v1`, perplexity: `${url}/perplexity/v1`, gemini: `${url}/gemini` },
      config: () => structuredClone(this.config),
      setConfig: (partial) => this.setConfig(partial),
      reset: () => this.reset(),
      stats: () => this.stats.snapshot(),
      close: () => this.close(),
    };
  }

  private setConfig(partial: unknown): EmulatorConfig {
    const next = mergeConfig(this.config, partial);
    if (next.port !== this.config.port || next.host !== this.config.host) {
      throw new EmulatorConfigError(['port/host: fixed at start; restart the emulator to change them']);
    }
    this.config = next;
    return structuredClone(next);
  }

  private reset(): void {
    this.config = structuredClone(this.startConfig);
    this.stats.reset();
    this.attempts.reset();
  }

  private async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const res of this.held) res.destroy();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private redirectBase(): string {
    return (this.config.redirectBaseUrl ?? this.config.publicUrl ?? this.listenUrl).replace(/\/+$/, '');
  }

  private dispatch(req: IncomingMessage, res: ServerResponse): void {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    let path = q === -1 ? rawUrl : rawUrl.slice(0, q);
    const query = new URLSearchParams(q === -1 ? '' : rawUrl.slice(q + 1));
    try {
      path = decodeURIComponent(path);
    } catch {
      return sendJson(res, 400, { error: { message: 'Malformed URL' } });
    }
    const method = req.method ?? 'GET';

    const provider = this.providerRoute(path);
    if (provider) {
      if (method !== 'POST') return sendJson(res, 405, { error: { message: 'Method not allowed' } }, { allow: 'POST' });
      this.handleProvider(req, res, provider.format, provider.pathModel, query).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: { message: `Emulator error: ${(err as Error).message}` } });
      });
      return;
    }
    if (path.startsWith('/grounding-api-redirect/')) return this.handleRedirect(method, path.slice('/grounding-api-redirect/'.length), res);
    if (path.startsWith('/__emulator/')) {
      this.handleAdmin(method, path.slice('/__emulator/'.length), req, res).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: { message: (err as Error).message } });
      });
      return;
    }
    sendJson(res, 404, { error: { message: `No route for ${method} ${path}` } });
  }

  private providerRoute(path: string): { format: ProviderFormat; pathModel: string | null } | null {
    if (path === '/openai/v1/responses') return { format: openaiFormat, pathModel: null };
    if (path === '/perplexity/v1/agent' || path === '/perplexity/v1/responses') return { format: perplexityFormat, pathModel: null };
    const gemini = /^\/gemini\/v1(?:beta)?\/models\/(.+):generateContent$/.exec(path);
    if (gemini) return { format: geminiFormat, pathModel: gemini[1].replace(/^models\//, '') };
    return null;
  }

  private async handleProvider(req: IncomingMessage, res: ServerResponse, format: ProviderFormat, pathModel: string | null, query: URLSearchParams): Promise<void> {
    const provider = format.provider;
    const config = this.config;
    const settings = config.providers[provider];
    const inWindow = this.stats.arrive(provider, performance.now());
    const reply = (err: ProviderError, headers?: Record<string, string>) => {
      const { status, body } = format.error(err);
      this.stats.answered(provider, status);
      sendJson(res, status, body, { 'x-request-id': `req_${hexId(Math.random, 32)}`, ...headers });
    };

    let raw: string;
    try {
      raw = await readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return reply({ kind: 'invalid_request', message: 'Request body too large.' });
      this.stats.answered(provider, 'aborted');
      return;
    }

    // The ceiling counts every request received in the last second, this one included.
    if (settings.qps !== null && inWindow > settings.qps) {
      this.stats.qpsViolation(provider);
      return reply({ kind: 'rate_limited', model: pathModel ?? peekModel(raw) ?? 'this model', limit: settings.qps, retryAfterSeconds: 1 }, { 'retry-after': '1' });
    }
    if (!format.authenticated(req.headers, query)) return reply({ kind: 'unauthenticated' });

    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return reply({ kind: 'invalid_json' });
    }
    const parsed = format.parse(body, { pathModel, config });
    if (isProviderError(parsed)) return reply(parsed);
    const servedModel = resolveModel(config, provider, parsed.model);
    if (servedModel === null) return reply({ kind: 'model_not_found', model: parsed.model });

    const override = parseFaultOverride(req.headers['x-emulator-fault']);
    if (override === 'invalid') {
      return reply({ kind: 'invalid_request', message: `X-Emulator-Fault must be one of: ${FAULT_OVERRIDES.join(', ')}` });
    }
    // Seeded by (request, n-th time seen): reproducible under any interleaving of clients.
    const requestKey = `${provider}:${hashString(raw)}`;
    const attempt = this.attempts.next(requestKey);
    const rng = rngFor(config.seed, 'fault', requestKey, attempt);
    const fault = decideFaults(rng, settings.faults, override);

    if (fault.transport.kind === '429') {
      const after = fault.transport.retryAfterSeconds;
      return reply({ kind: 'rate_limited', model: parsed.model, limit: settings.qps, retryAfterSeconds: after }, { 'retry-after': String(Math.ceil(after)) });
    }
    if (fault.transport.kind === 'timeout') return this.hold(provider, res, settings.faults.timeoutHoldMs);

    const transport = fault.transport;
    const respond = () => {
      if (transport.kind === '5xx') return reply({ kind: 'server_error', status: transport.status });
      const header = req.headers['x-emulator-seed'];
      const nonce = typeof header === 'string' && header !== '' ? header : String(attempt);
      const answer = generateAnswer({
        seed: config.seed,
        provider,
        model: servedModel,
        prompt: parsed.prompt,
        instructions: parsed.instructions,
        nonce,
        brands: config.brands,
        neutralDomains: config.neutralDomains,
        search: parsed.search,
        mode: fault.content,
      });
      const ids = rngFor(config.seed, 'ids', requestKey, attempt);
      const payload = JSON.stringify(
        format.build(answer, parsed, { rng: ids, servedModel, now: Math.floor(Date.now() / 1000), redirectBase: this.redirectBase() }),
      );
      this.stats.answered(provider, 200);
      sendJson(res, 200, transport.kind === 'malformed' ? truncate(payload) : payload, { 'x-request-id': `req_${hexId(ids, 32)}` });
    };

    const delay = latencyOf(settings.latencyMs, rng);
    if (delay <= 0) return respond();
    this.later(delay, res, provider, respond);
  }

  /** Runs `respond` after `delay` ms unless the client has gone by then. */
  private later(delay: number, res: ServerResponse, provider: ProviderName, respond: () => void): void {
    let gone = false;
    res.once('close', () => (gone = true));
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (gone || res.destroyed) this.stats.answered(provider, 'aborted');
      else respond();
    }, delay);
    this.timers.add(timer);
  }

  /**
   * The timeout fault: answer nothing and keep the socket until the client gives up (its close
   * releases everything), or until `maxMs`, when the socket is destroyed so nothing leaks.
   */
  private hold(provider: ProviderName, res: ServerResponse, maxMs: number): void {
    this.held.add(res);
    this.stats.holding(provider, 1);
    const timer = setTimeout(() => res.destroy(), maxMs);
    timer.unref();
    res.once('close', () => {
      clearTimeout(timer);
      this.held.delete(res);
      this.stats.holding(provider, -1);
      this.stats.answered(provider, 'timeout');
    });
  }

  private handleRedirect(method: string, token: string, res: ServerResponse): void {
    if (method !== 'GET' && method !== 'HEAD') return sendJson(res, 405, { error: { message: 'Method not allowed' } }, { allow: 'GET, HEAD' });
    const target = redirectTarget(token);
    if (target === null) return sendJson(res, 404, { error: { code: 404, message: 'Unknown grounding redirect.', status: 'NOT_FOUND' } });
    this.stats.redirected();
    res.writeHead(302, { location: target, 'content-length': '0' });
    res.end();
  }

  private async handleAdmin(method: string, action: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const route = `${method} ${action}`;
    switch (route) {
      case 'GET health':
        return sendJson(res, 200, { status: 'ok' });
      case 'GET stats':
        return sendJson(res, 200, this.stats.snapshot());
      case 'DELETE stats':
        this.stats.reset();
        return sendJson(res, 200, this.stats.snapshot());
      case 'GET config':
        return sendJson(res, 200, this.config);
      case 'PUT config':
      case 'PATCH config': {
        let patch: unknown;
        try {
          patch = JSON.parse((await readBody(req)) || '{}');
        } catch {
          return sendJson(res, 400, { error: { message: 'Body must be a JSON object' } });
        }
        try {
          return sendJson(res, 200, this.setConfig(patch));
        } catch (err) {
          if (err instanceof EmulatorConfigError) return sendJson(res, 400, { error: { message: err.message, problems: err.problems } });
          throw err;
        }
      }
      case 'POST reset':
        this.reset();
        return sendJson(res, 200, { config: this.config, stats: this.stats.snapshot() });
      default:
        return sendJson(res, 404, { error: { message: `No emulator endpoint ${route}` } });
    }
  }
}

function resolveModel(config: EmulatorConfig, provider: ProviderName, model: string): string | null {
  const models = config.providers[provider].models;
  if (Object.prototype.hasOwnProperty.call(models, model)) return models[model];
  if (Object.values(models).includes(model)) return model;
  return config.acceptAnyModel && model !== '' ? model : null;
}

function latencyOf(latency: number | LatencyRange, rng: Rng): number {
  if (typeof latency === 'number') return latency;
  return latency.min + rng() * (latency.max - latency.min);
}

/** Half the body: a 200 whose JSON stops mid-object, as a dropped proxy connection produces. */
function truncate(payload: string): string {
  return payload.slice(0, Math.max(1, Math.floor(payload.length / 2)));
}

function peekModel(raw: string): string | null {
  return /"model"\s*:\s*"([^"]{1,200})"/.exec(raw)?.[1] ?? null;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(payload)), ...headers });
  res.end(payload);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        if (!done) reject(new BodyTooLargeError());
        done = true;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks).toString('utf8'));
      done = true;
    });
    req.on('error', (err) => {
      if (!done) reject(err);
      done = true;
    });
    req.on('close', () => {
      if (!done) reject(new Error('client went away'));
      done = true;
    });
  });
}

