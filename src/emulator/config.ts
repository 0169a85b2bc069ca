import { readFileSync } from 'node:fs';

/**
 * The emulator's configuration: one JSON object, settable at start (EMULATOR_CONFIG,
 * EMULATOR_CONFIG_FILE, EMULATOR_PORT, EMULATOR_HOST) and at run time (PUT /__emulator/config,
 * deep-merged; arrays such as `brands` are replaced whole). Every value is validated, and a bad
 * one is reported with its path, so a typo never turns into a silently ignored setting.
 */

export const PROVIDERS = ['openai', 'perplexity', 'gemini'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export interface BrandConfig {
  name: string;
  aliases: string[];
  domains: string[];
  /** Chance (0..1) that an answer mentions the brand. */
  probability: number;
}

export interface LatencyRange {
  min: number;
  max: number;
}

export interface FaultConfig {
  /** Share of requests answered 429 with Retry-After: retryAfterSeconds. */
  rate429: number;
  retryAfterSeconds: number;
  rate5xx: number;
  status5xx: 500 | 502 | 503;
  /** Share of requests never answered; the socket is held until the client gives up. */
  rateTimeout: number;
  /** Upper bound on how long a "timeout" request is held before the socket is destroyed. */
  timeoutHoldMs: number;
  /** Share of requests answered 200 with a truncated JSON body. */
  rateMalformed: number;
  /** Content faults, drawn separately from the transport faults above. */
  rateEmpty: number;
  rateRefusal: number;
  rateNoCitations: number;
}

export interface ProviderConfig {
  latencyMs: number | LatencyRange;
  /** Requests per sliding second above which the emulator answers 429 (null: no ceiling). */
  qps: number | null;
  /** Known models: requested name -> the name reported back (OpenAI reports a dated snapshot). */
  models: Record<string, string>;
  faults: FaultConfig;
}

export interface EmulatorConfig {
  port: number;
  host: string;
  /** URL clients use to reach the emulator (null: http://host:port, with 0.0.0.0 shown as 127.0.0.1). */
  publicUrl: string | null;
  /** Base of Gemini grounding redirect URLs (null: the emulator itself, so redirects resolve). */
  redirectBaseUrl: string | null;
  seed: string;
  acceptAnyModel: boolean;
  brands: BrandConfig[];
  /** Neutral domains cited next to the brands' own (review sites, encyclopaedias, forums). */
  neutralDomains: string[];
  /** Perplexity presets -> the model they report. */
  perplexityPresets: Record<string, string>;
  providers: Record<ProviderName, ProviderConfig>;
}

/** A partial configuration as accepted by startEmulator(), PUT /__emulator/config and the env. */
export type EmulatorConfigInput = DeepPartial<EmulatorConfig>;
export type DeepPartial<T> = T extends Array<infer U>
  ? Array<U>
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

export class EmulatorConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid emulator configuration: ${problems.join('; ')}`);
    this.name = 'EmulatorConfigError';
  }
}

function noFaults(): FaultConfig {
  return {
    rate429: 0,
    retryAfterSeconds: 1,
    rate5xx: 0,
    status5xx: 503,
    rateTimeout: 0,
    timeoutHoldMs: 300_000,
    rateMalformed: 0,
    rateEmpty: 0,
    rateRefusal: 0,
    rateNoCitations: 0,
  };
}

export const DEFAULT_BRANDS: BrandConfig[] = [
  { name: 'Acme CRM', aliases: ['Acme', 'AcmeCRM'], domains: ['acme.example'], probability: 0.7 },
  { name: 'Globex', aliases: ['Globex CRM'], domains: ['globex.example'], probability: 0.5 },
  { name: 'Initech', aliases: [], domains: ['initech.example'], probability: 0.3 },
  { name: 'Umbrella', aliases: [], domains: ['umbrella.example'], probability: 0.2 },
];

export function defaultConfig(): EmulatorConfig {
  return {
    port: 4010,
    host: '127.0.0.1',
    publicUrl: null,
    redirectBaseUrl: null,
    seed: 'geo-emulator',
    acceptAnyModel: false,
    brands: DEFAULT_BRANDS.map((b) => ({ ...b, aliases: [...b.aliases], domains: [...b.domains] })),
    neutralDomains: [
      'www.g2.com',
      'www.capterra.com',
      'en.wikipedia.org',
      'www.forbes.com',
      'www.reddit.com',
      'www.techradar.com',
      'zapier.com',
      'www.pcmag.com',
    ],
    perplexityPresets: {
      'fast-search': 'perplexity/sonar',
      'pro-search': 'perplexity/sonar-pro',
      'deep-research': 'perplexity/sonar-reasoning-pro',
    },
    providers: {
      openai: {
        latencyMs: 0,
        qps: null,
        // Snapshot names as OpenAI reports them in `model` for the alias that was requested.
        models: {
          'gpt-5': 'gpt-5-2025-08-07',
          'gpt-5-mini': 'gpt-5-mini-2025-08-07',
          'gpt-5-nano': 'gpt-5-nano-2025-08-07',
          'gpt-4.1': 'gpt-4.1-2025-04-14',
          'gpt-4.1-mini': 'gpt-4.1-mini-2025-04-14',
          'gpt-4o': 'gpt-4o-2024-08-06',
          'gpt-4o-mini': 'gpt-4o-mini-2024-07-18',
        },
        faults: noFaults(),
      },
      perplexity: {
        latencyMs: 0,
        qps: null,
        models: {
          'perplexity/sonar': 'perplexity/sonar',
          'perplexity/sonar-pro': 'perplexity/sonar-pro',
          'perplexity/sonar-reasoning-pro': 'perplexity/sonar-reasoning-pro',
          sonar: 'sonar',
          'sonar-pro': 'sonar-pro',
          'sonar-reasoning-pro': 'sonar-reasoning-pro',
        },
        faults: noFaults(),
      },
      gemini: {
        latencyMs: 0,
        qps: null,
        models: {
          'gemini-2.5-flash': 'gemini-2.5-flash',
          'gemini-2.5-pro': 'gemini-2.5-pro',
          'gemini-2.5-flash-lite': 'gemini-2.5-flash-lite',
          'gemini-2.0-flash': 'gemini-2.0-flash',
        },
        faults: noFaults(),
      },
    },
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Deep merge: objects merge key by key, anything else (arrays included) replaces. `null` replaces
 * too, which is how `qps: null` lifts a ceiling. Unknown keys are kept so validation can name them.
 */
export function deepMerge(base: unknown, patch: unknown): unknown {
  if (patch === undefined) return structuredClone(base);
  if (!isPlainObject(base) || !isPlainObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [key, value] of Object.entries(patch)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    out[key] = deepMerge(base[key], value);
  }
  return out;
}

/** Merges a patch over a full configuration and validates the result (throws EmulatorConfigError). */
export function mergeConfig(base: EmulatorConfig, patch: unknown): EmulatorConfig {
  if (patch !== undefined && patch !== null && !isPlainObject(patch)) {
    throw new EmulatorConfigError(['configuration must be a JSON object']);
  }
  return validateConfig(deepMerge(base, patch ?? undefined));
}

const TOP_KEYS = new Set<string>(Object.keys(defaultConfig()));
const FAULT_KEYS = new Set<string>(Object.keys(noFaults()));
const PROVIDER_KEYS = new Set(['latencyMs', 'qps', 'models', 'faults']);
const BRAND_KEYS = new Set(['name', 'aliases', 'domains', 'probability']);

export function validateConfig(value: unknown): EmulatorConfig {
  const problems: string[] = [];
  const fail = (path: string, message: string) => problems.push(`${path}: ${message}`);
  if (!isPlainObject(value)) throw new EmulatorConfigError(['configuration must be a JSON object']);
  const c = value;

  for (const key of Object.keys(c)) if (!TOP_KEYS.has(key)) fail(key, 'unknown setting');
  if (!Number.isInteger(c.port) || (c.port as number) < 0 || (c.port as number) > 65535) fail('port', 'must be an integer 0..65535');
  if (typeof c.host !== 'string' || c.host === '') fail('host', 'must be a non-empty string');
  for (const key of ['publicUrl', 'redirectBaseUrl'] as const) {
    const v = c[key];
    if (v !== null && (typeof v !== 'string' || !/^https?:\/\/[^\s]+$/.test(v))) fail(key, 'must be null or an http(s) URL');
  }
  if (typeof c.seed === 'number') c.seed = String(c.seed);
  if (typeof c.seed !== 'string') fail('seed', 'must be a string or a number');
  if (typeof c.acceptAnyModel !== 'boolean') fail('acceptAnyModel', 'must be true or false');
  if (!Array.isArray(c.neutralDomains) || c.neutralDomains.length === 0 || !c.neutralDomains.every(isDomain)) {
    fail('neutralDomains', 'must be a non-empty array of domain names');
  }
  checkStringMap(c.perplexityPresets, 'perplexityPresets', fail);

  if (!Array.isArray(c.brands)) fail('brands', 'must be an array');
  else
    c.brands.forEach((b: unknown, i) => {
      const path = `brands[${i}]`;
      if (!isPlainObject(b)) return fail(path, 'must be an object');
      for (const key of Object.keys(b)) if (!BRAND_KEYS.has(key)) fail(`${path}.${key}`, 'unknown setting');
      b.aliases ??= [];
      if (typeof b.name !== 'string' || b.name.trim() === '') fail(`${path}.name`, 'must be a non-empty string');
      if (!Array.isArray(b.aliases) || !b.aliases.every((a) => typeof a === 'string' && a.trim() !== '')) {
        fail(`${path}.aliases`, 'must be an array of non-empty strings');
      }
      if (!Array.isArray(b.domains) || b.domains.length === 0 || !b.domains.every(isDomain)) {
        fail(`${path}.domains`, 'must be a non-empty array of domain names');
      }
      if (!isRate(b.probability)) fail(`${path}.probability`, 'must be a number in 0..1');
    });

  if (!isPlainObject(c.providers)) fail('providers', 'must be an object');
  else {
    for (const key of Object.keys(c.providers)) {
      if (!(PROVIDERS as readonly string[]).includes(key)) fail(`providers.${key}`, 'unknown provider');
    }
    for (const name of PROVIDERS) validateProvider(c.providers[name], `providers.${name}`, fail);
  }

  if (problems.length > 0) throw new EmulatorConfigError(problems);
  return c as unknown as EmulatorConfig;
}

function validateProvider(p: unknown, path: string, fail: (path: string, message: string) => void): void {
  if (!isPlainObject(p)) return fail(path, 'must be an object');
  for (const key of Object.keys(p)) if (!PROVIDER_KEYS.has(key)) fail(`${path}.${key}`, 'unknown setting');
  const latency = p.latencyMs;
  if (isPlainObject(latency)) {
    const { min, max } = latency;
    if (!isNonNegative(min) || !isNonNegative(max) || (min as number) > (max as number) || Object.keys(latency).some((k) => k !== 'min' && k !== 'max')) {
      fail(`${path}.latencyMs`, 'must be a number >= 0 or {min, max} with 0 <= min <= max');
    }
  } else if (!isNonNegative(latency)) fail(`${path}.latencyMs`, 'must be a number >= 0 or {min, max} with 0 <= min <= max');
  if (p.qps !== null && !(typeof p.qps === 'number' && Number.isFinite(p.qps) && p.qps > 0)) fail(`${path}.qps`, 'must be null or a number > 0');
  checkStringMap(p.models, `${path}.models`, fail);

  const f = p.faults;
  if (!isPlainObject(f)) return fail(`${path}.faults`, 'must be an object');
  for (const key of Object.keys(f)) if (!FAULT_KEYS.has(key)) fail(`${path}.faults.${key}`, 'unknown setting');
  for (const key of ['rate429', 'rate5xx', 'rateTimeout', 'rateMalformed', 'rateEmpty', 'rateRefusal', 'rateNoCitations']) {
    if (!isRate(f[key])) fail(`${path}.faults.${key}`, 'must be a number in 0..1');
  }
  if (!isNonNegative(f.retryAfterSeconds)) fail(`${path}.faults.retryAfterSeconds`, 'must be a number >= 0');
  if (!isNonNegative(f.timeoutHoldMs)) fail(`${path}.faults.timeoutHoldMs`, 'must be a number >= 0');
  if (f.status5xx !== 500 && f.status5xx !== 502 && f.status5xx !== 503) fail(`${path}.faults.status5xx`, 'must be 500, 502 or 503');
  // One uniform draw picks among the transport faults, another among the content faults, so each
  // group's rates must leave room for "no fault".
  const transport = sum(f.rate429, f.rate5xx, f.rateTimeout, f.rateMalformed);
  if (transport > 1 + 1e-9) fail(`${path}.faults`, 'rate429 + rate5xx + rateTimeout + rateMalformed must not exceed 1');
  const content = sum(f.rateEmpty, f.rateRefusal, f.rateNoCitations);
  if (content > 1 + 1e-9) fail(`${path}.faults`, 'rateEmpty + rateRefusal + rateNoCitations must not exceed 1');
}

function checkStringMap(value: unknown, path: string, fail: (path: string, message: string) => void): void {
  if (!isPlainObject(value) || !Object.values(value).every((v) => typeof v === 'string' && v !== '')) {
    fail(path, 'must be an object mapping names to non-empty strings');
  }
}

function sum(...values: unknown[]): number {
  return values.reduce<number>((acc, v) => acc + (typeof v === 'number' && Number.isFinite(v) ? v : 0), 0);
}

function isRate(v: unknown): boolean {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1;
}

function isNonNegative(v: unknown): boolean {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

function isDomain(v: unknown): boolean {
  return typeof v === 'string' && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i.test(v);
}

/**
 * The start configuration from the environment: defaults, then EMULATOR_CONFIG_FILE, then
 * EMULATOR_CONFIG, then EMULATOR_PORT / EMULATOR_HOST (the most specific wins).
 */
export function loadConfigFromEnv(env: NodeJS.ProcessEnv = process.env): EmulatorConfig {
  let config = defaultConfig();
  const file = env.EMULATOR_CONFIG_FILE?.trim();
  if (file) config = mergeConfig(config, parseJson(readFileText(file), `EMULATOR_CONFIG_FILE (${file})`));
  const inline = env.EMULATOR_CONFIG?.trim();
  if (inline) config = mergeConfig(config, parseJson(inline, 'EMULATOR_CONFIG'));
  const port = env.EMULATOR_PORT?.trim();
  if (port) {
    if (!/^\d+$/.test(port)) throw new EmulatorConfigError([`EMULATOR_PORT: must be an integer, got "${port}"`]);
    config = mergeConfig(config, { port: Number(port) });
  }
  const host = env.EMULATOR_HOST?.trim();
  if (host) config = mergeConfig(config, { host });
  return config;
}

function readFileText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new EmulatorConfigError([`EMULATOR_CONFIG_FILE: cannot read ${path} (${(err as Error).message})`]);
  }
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new EmulatorConfigError([`${source}: not valid JSON (${(err as Error).message})`]);
  }
}
