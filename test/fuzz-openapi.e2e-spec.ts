import http, { type Server } from 'node:http';
import { zipBomb } from './helpers/zip-bomb';
import { rawRequest, RawHttpError, type RawResponse } from './helpers/raw-http';
import { createTestApp, type TestApp } from './helpers/test-app';

/**
 * The quality bar's fuzz test ("Bad input"): every path × method of the OpenAPI document the API
 * serves gets generated garbage (path parameters, query parameters, bodies of every shape and
 * content type, uploads), over real HTTP with exact bytes. No answer may be a 5xx, every 4xx is an
 * RFC 7807 problem whose `status` is the HTTP status, nothing hangs, and /healthz still answers.
 *
 * Deterministic: FUZZ_SEED picks the seed (printed), FUZZ_ITERATIONS the number of random mixed
 * cases per operation; FUZZ_ONLY (a regex over "METHOD /path") narrows the operations to replay one
 * (each operation has its own generator, so its cases do not depend on the others). FUZZ_CONCURRENCY
 * (default 2) requests at a time; FUZZ_PROFILE=1 prints time per kind of case and the slowest answers.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 6);
const ONLY = process.env.FUZZ_ONLY ? new RegExp(process.env.FUZZ_ONLY) : undefined;
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 2);
const REQUEST_TIMEOUT_MS = Number(process.env.FUZZ_TIMEOUT_MS ?? 15_000);
const MB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Deterministic randomness
// ---------------------------------------------------------------------------------------------

/** mulberry32: small, seeded, fast. */
function prng(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  readonly r: () => number;
  constructor(seed: number) {
    this.r = prng(seed);
  }
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
  hex(n: number): string {
    return Array.from({ length: n }, () => '0123456789abcdef'[this.int(16)]).join('');
  }
  /** A random version-4 UUID (valid-looking, never an existing row). */
  uuid(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${'89ab'[this.int(4)]}${this.hex(3)}-${this.hex(12)}`;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
  token(n: number): string {
    const abc = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    return Array.from({ length: n }, () => abc[this.int(abc.length)]).join('');
  }
}

// ---------------------------------------------------------------------------------------------
// Garbage
// ---------------------------------------------------------------------------------------------

const DEEP = 10_000;
const deepArray = (n = DEEP): string => '['.repeat(n) + ']'.repeat(n);
const deepObject = (n = DEEP): string => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
/** A JSON fragment (raw text), so that bodies can hold what JSON.stringify cannot produce. */
type Raw = { raw: string; label: string };
const raw = (text: string, label = text): Raw => ({ raw: text, label });
const isRaw = (v: unknown): v is Raw => typeof v === 'object' && v !== null && 'raw' in v && typeof (v as Raw).raw === 'string' && 'label' in v;

/** Strings a client should never be able to turn into a 500: every string field gets the first ODD_STRINGS_ALWAYS, and some others. */
const ODD_STRINGS_ALWAYS = 5;
const ODD_STRINGS: readonly string[] = [
  'a\udfffb\ud800', // lone low and high surrogates (JSON.stringify writes them as \udfff / \ud800 escapes)
  '\u202Egnp.exe\u202C', // RTL override
  '\u200B\u200C\u200D\u2060\uFEFF', // zero-width only
  'a\u0000b', // NUL
  '🙂👩‍👩‍👧‍👦🏳️‍🌈',
  '',
  ' ',
  'x',
  '\ud800',
  '\u0000',
  'Ω≈ç√∫˜µ≤≥÷',
  'Z̴̡̪̫͎̈́̍a̸̡̛l̶̢̛g̷̨̛o̵̢̧',
  '\r\n\t\v\f\b',
  '-1',
  '1e309',
  'NaN',
  'null',
  'true',
  '[]',
  '{}',
  "'; DROP TABLE campaigns; --",
  '${jndi:ldap://x}{{7*7}}%s%n',
  '../../etc/passwd',
  'https://127.0.0.1:1/admin',
  '9'.repeat(400),
  'ǅǈǋǲ ß ﬁ İ',
];

const ODD_NUMBERS: readonly unknown[] = [0, -1, 1.5, -0.000001, 1e308, -1e308, 2 ** 53 + 2, -(2 ** 63), raw('1e309'), raw('-1e309'), raw('1' + '0'.repeat(400)), raw('1e-400')];

/** One value of each JSON type (string↔number↔array↔object↔null↔boolean). */
function typeSwaps(g: Gen): unknown[] {
  return [
    g.pick(['fuzz', '', '1', 'true']),
    g.pick([0, -1, 1.5, 1e308, 2 ** 53 + 2]),
    g.pick([[], [null], [1, 'a', {}], ['x', 'y']]),
    g.pick([{}, { a: 1 }, { name: 'x', extra: [1] }]),
    null,
    g.pick([true, false]),
  ];
}

/** A random JSON-able value (raw fragments included), for the mixed cases. */
function garbage(g: Gen, depth = 0, deep = true): unknown {
  switch (g.int(12)) {
    case 0:
      return null;
    case 1:
      return g.chance(0.5);
    case 2:
      return g.pick(ODD_NUMBERS);
    case 3:
    case 4:
      return g.pick(ODD_STRINGS);
    case 5:
      return g.uuid();
    case 6:
      return depth > 2 ? [] : Array.from({ length: g.int(4) }, () => garbage(g, depth + 1, deep));
    case 7:
      return depth > 2 ? {} : Object.fromEntries(Array.from({ length: g.int(4) }, () => [g.pick(['name', 'id', 'text', 'x', 'provider', 'model', 'url', g.token(4)]), garbage(g, depth + 1, deep)]));
    case 8:
      return raw('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}', '__proto__/constructor object');
    case 9:
      if (!deep) return [[[[]]]];
      return g.chance(0.5) ? raw(deepArray(), `[[[…${DEEP} levels`) : raw(deepObject(), `{"a":{"a":…${DEEP} levels`);
    case 10:
      return 'x'.repeat(g.int(3000));
    default:
      return typeSwaps(g)[g.int(6)];
  }
}

/** JSON text of a value that may hold raw fragments. */
function toJson(v: unknown): string {
  if (isRaw(v)) return v.raw;
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** A short description of a value for the failure list. */
function show(v: unknown): string {
  if (isRaw(v)) return v.label.length > 60 ? `${v.label.slice(0, 40)}…(${v.label.length} chars)` : v.label;
  const s = typeof v === 'string' ? JSON.stringify(v) : toJson(v);
  return s.length > 80 ? `${s.slice(0, 50)}…(${s.length} chars)` : s;
}

/** Malformed or surprising JSON documents (the body as a whole). */
const BROKEN_JSON: readonly { text: string | Buffer; label: string }[] = [
  { text: '{', label: '{' },
  { text: '{"a":', label: '{"a":' },
  { text: '{"a":1,}', label: 'trailing comma in object' },
  { text: '[1,2,]', label: 'trailing comma in array' },
  { text: 'NaN', label: 'NaN' },
  { text: '{"a":NaN,"b":Infinity,"c":-Infinity}', label: 'NaN/Infinity values' },
  { text: "{'name':'single quotes'}", label: 'single quotes' },
  { text: '{"name":"a"}{"name":"b"}', label: 'two documents' },
  { text: '{"name":"unterminated', label: 'unterminated string' },
  { text: '{"name":"bad \\x escape"}', label: 'bad escape' },
  { text: '{"name":"\\ud800\\udc00\\ud800"}', label: 'escaped lone surrogate after a pair' },
  { text: '{"name":"a\\u0000b"}', label: 'escaped NUL' },
  { text: '{"name":"raw\u0001control"}', label: 'raw control char' },
  { text: '{"name":1e999999}', label: 'number overflow' },
  { text: `{"name":${'9'.repeat(100_000)}}`, label: '100k-digit number' },
  { text: '{"name":"a","name":"b"}', label: 'duplicate keys' },
  { text: '{"__proto__":{"polluted":true}}', label: '__proto__ key' },
  { text: '{"constructor":{"prototype":{"polluted":true}}}', label: 'constructor.prototype key' },
  { text: '{"a":{"b":{"__proto__":{"polluted":true}}}}', label: 'nested __proto__ key' },
  { text: 'null', label: 'null' },
  { text: 'true', label: 'true' },
  { text: '123', label: '123' },
  { text: '"a string"', label: 'a string' },
  { text: '[]', label: '[]' },
  { text: '{}', label: '{}' },
  { text: ' ', label: 'whitespace only' },
  { text: '\uFEFF{}', label: 'BOM then {}' },
  { text: deepArray(), label: `[[[[… ${DEEP} levels` },
  { text: deepObject(), label: `{"a":{"a":… ${DEEP} levels` },
  { text: `{"name":${deepArray()}}`, label: `{"name": [[[… ${DEEP} levels}` },
  { text: Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]), label: 'UTF-16 bytes' },
  { text: Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x22, 0x7d]), label: 'invalid UTF-8 in a string' },
];

// ---------------------------------------------------------------------------------------------
// OpenAPI
// ---------------------------------------------------------------------------------------------

type Schema = {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  format?: string;
  example?: unknown;
  default?: unknown;
  minimum?: number;
  maxLength?: number;
  allOf?: Schema[];
  oneOf?: Schema[];
  additionalProperties?: boolean | Schema;
};
type Parameter = { name: string; in: 'path' | 'query' | 'header'; required?: boolean; schema?: Schema };
type Operation = { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: Schema }> } };
type OpenApi = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };

interface Op {
  method: string;
  template: string;
  op: Operation;
  key: string;
}

interface Case {
  op: Op;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  summary: string;
}

interface Fixtures {
  campaign: string;
  topic: string;
  question: string;
  persona: string;
  profile: string;
  run: string;
  schedule: string;
  exportJob: string;
}

/** Path parameters are substituted with these (the brief's list), besides a real id. */
const PATH_GARBAGE: readonly { value: string; label: string }[] = [
  { value: 'x', label: 'x' },
  { value: '%00', label: '%00' },
  { value: 'a'.repeat(5000), label: '5,000 chars' },
  { value: '../../etc/passwd', label: '../../etc/passwd (raw)' },
  { value: encodeURIComponent('../../etc/passwd'), label: '../../etc/passwd (encoded)' },
  { value: encodeURIComponent('Ω≈ç√'), label: 'Ω≈ç√' },
  { value: encodeURIComponent('🙂👩‍👩‍👧'), label: 'emoji' },
  { value: '-1', label: '-1' },
  { value: '1e309', label: '1e309' },
  { value: '%E0%A4%A', label: 'broken percent-encoding' },
  { value: '%ED%A0%80', label: 'UTF-8 of a lone surrogate' },
  { value: '%20', label: 'a space' },
];

/**
 * Query values of wrong types, huge, or odd Unicode (raw, already percent-encoded as needed): every
 * query parameter gets the first QUERY_GARBAGE_ALWAYS, and some of the others.
 */
const QUERY_GARBAGE_ALWAYS = 8;
const QUERY_GARBAGE: readonly { value: string; label: string }[] = [
  { value: '', label: 'empty' },
  { value: 'x', label: 'x' },
  { value: '-1', label: '-1' },
  { value: '1e309', label: '1e309' },
  { value: 'x'.repeat(8000), label: '8,000 chars' },
  { value: encodeURIComponent('Ω≈ç√🙂\u202E\u200B'), label: 'odd Unicode' },
  { value: '%00', label: '%00' },
  { value: '%ED%A0%80', label: 'UTF-8 of a lone surrogate' },
  { value: '0', label: '0' },
  { value: '1.5', label: '1.5' },
  { value: 'NaN', label: 'NaN' },
  { value: '9'.repeat(40), label: '40 nines' },
  { value: 'true', label: 'true' },
  { value: 'null', label: 'null' },
  { value: '%', label: 'lone %' },
  { value: '%zz', label: '%zz' },
  { value: encodeURIComponent("' OR 1=1 --"), label: 'SQL-ish' },
  { value: encodeURIComponent('a:*) | !b & "c'), label: 'tsquery syntax' },
];

/** Request paths of the OpenAPI template with each parameter replaced. */
function fillPath(template: string, values: Record<string, string>): string {
  return template.replace(/\{([^}]+)\}/g, (_m, name: string) => values[name] ?? 'x');
}

function resolve(doc: OpenApi, s: Schema | undefined, depth = 0): Schema {
  if (!s || depth > 8) return {};
  if (s.$ref) return resolve(doc, doc.components.schemas[s.$ref.replace('#/components/schemas/', '')], depth + 1);
  if (s.allOf?.length) return { ...resolve(doc, s.allOf[0], depth + 1), ...s, allOf: undefined };
  if (s.oneOf?.length && !s.type && !s.properties) return resolve(doc, s.oneOf[0], depth + 1);
  return s;
}

// ---------------------------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------------------------

describe('fuzz: every OpenAPI operation gets generated garbage', () => {
  let t: TestApp;
  let port: number;
  let doc: OpenApi;
  let fx: Fixtures;

  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const req = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawResponse> =>
    rawRequest(port, {
      method,
      path,
      headers: { 'X-API-Key': t.key, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
  const created = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await req(method, path, body);
    if (res.status >= 300) throw new Error(`fixture ${method} ${path}: ${res.status} ${res.text.slice(0, 500)}`);
    return JSON.parse(res.text) as Record<string, unknown>;
  };

  beforeAll(async () => {
    // A provider key so that runs can be created (no worker runs here: nothing is called), no rate limit.
    t = await createTestApp(__filename, { env: { OPENAI_API_KEY: 'fuzz-key-not-used', API_RATE_LIMIT_PER_MINUTE: '0' } });
    const server: Server = await t.app.listen(0, '127.0.0.1');
    port = (server.address() as { port: number }).port;
    const docRes = await rawRequest(port, { method: 'GET', path: '/docs-json', timeoutMs: REQUEST_TIMEOUT_MS });
    expect(docRes.status).toBe(200);
    doc = JSON.parse(docRes.text) as OpenApi;

    const campaign = await created('POST', '/api/v1/campaigns', { name: `Fuzz ${t.schema}`, product_name: 'Acme CRM' });
    const c = String(campaign.id);
    const topic = await created('POST', `/api/v1/campaigns/${c}/topics`, { title: 'Fuzz topic' });
    const persona = await created('POST', '/api/v1/personas', { name: `Fuzz persona ${t.schema}`, role: 'Founder', locale: 'en-US' });
    const question = await created('POST', `/api/v1/campaigns/${c}/questions`, { text: 'Which CRM for fuzzing?', topic_id: topic.id, persona_id: persona.id });
    const profile = await created('POST', '/api/v1/mapping-profiles', { name: `fuzz-${t.schema}`, mapping: { question_text: 'Frage' } });
    const run = await created('POST', '/api/v1/runs', { campaign_id: c, providers: [{ provider: 'openai', model: 'gpt-5-mini' }] });
    const schedule = await created('POST', `/api/v1/campaigns/${c}/schedules`, { cron: '0 6 * * 1', run: { providers: [{ provider: 'openai', model: 'gpt-5-mini' }] } });
    const exportJob = await created('POST', '/api/v1/exports', { run_id: run.id, format: 'csv' });
    fx = {
      campaign: c,
      topic: String(topic.id),
      question: String(question.id),
      persona: String(persona.id),
      profile: String(profile.name),
      run: String(run.id),
      schedule: String(schedule.id),
      exportJob: String(exportJob.id),
    };
  }, 60_000);

  afterAll(async () => {
    agent.destroy();
    await t?.close();
  });

  /** The existing row a path parameter names, by route and parameter name. */
  function realValue(template: string, param: string): string {
    if (param === 'topicId') return fx.topic;
    if (param === 'questionId') return fx.question;
    if (param === 'scheduleId') return fx.schedule;
    if (param === 'name') return encodeURIComponent(fx.profile);
    if (template.startsWith('/api/v1/campaigns/')) return fx.campaign;
    if (template.startsWith('/api/v1/personas/')) return fx.persona;
    if (template.startsWith('/api/v1/runs/')) return fx.run;
    if (template.startsWith('/api/v1/exports/')) return fx.exportJob;
    return fx.campaign;
  }

  /**
   * Real ids make a case reach the handler; never on the event stream (it streams until the run
   * ends) or the streamed download, and never for DELETE (the fixtures would be gone).
   */
  const realIdsAllowed = (o: Op): boolean => o.method !== 'delete' && !o.template.endsWith('/events') && !o.template.endsWith('results:download');

  /** A value that the schema accepts (as far as a schema can tell), to mutate one part at a time. */
  function validValue(s0: Schema | undefined, name: string, g: Gen, depth = 0): unknown {
    const s = resolve(doc, s0);
    if (s.enum?.length) return s.enum[0];
    if (s.format === 'uuid') {
      if (/campaign/.test(name)) return fx.campaign;
      if (/run/.test(name)) return fx.run;
      if (/topic/.test(name)) return fx.topic;
      if (/persona/.test(name)) return fx.persona;
      return g.uuid();
    }
    if (['name', 'title', 'text', 'label'].includes(name)) return `fuzz ${name} ${g.token(8)}`;
    if (s.example !== undefined) return s.example;
    if (s.type === 'array') return depth > 3 || !s.items ? [] : [validValue(s.items, name.replace(/s$/, '').replace(/_ids$/, '_id'), g, depth + 1)];
    if (s.properties) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(s.properties)) if (s.required?.includes(k) || depth === 0) out[k] = validValue(v, k, g, depth + 1);
      return out;
    }
    if (s.type === 'string') return s.default ?? 'fuzz';
    if (s.type === 'number' || s.type === 'integer') return s.default ?? s.minimum ?? 1;
    if (s.type === 'boolean') return false;
    if (s.type === 'object') return {};
    return s.default ?? null;
  }

  /** The documented body's JSON schema, if the operation has a JSON body. */
  const bodySchema = (o: Op): Schema | undefined => {
    const c = o.op.requestBody?.content;
    return c?.['application/json']?.schema;
  };

  function headersFor(contentType?: string): Record<string, string> {
    return { 'X-API-Key': t.key, ...(contentType ? { 'Content-Type': contentType } : {}) };
  }

  function multipart(g: Gen, parts: { name: string; filename?: string; type?: string; data: Buffer | string }[], boundary = `----fuzz${g.token(1 + g.int(40))}`): { body: Buffer; type: string } {
    const chunks: Buffer[] = [];
    for (const p of parts) {
      const disp = `form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}`;
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disp}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ''}\r\n`));
      chunks.push(Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data));
      chunks.push(Buffer.from('\r\n'));
    }
    chunks.push(Buffer.from(`--${boundary}--\r\n`));
    return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
  }

  /** Bodies of the wrong content type, or broken multipart. */
  function contentTypeCases(g: Gen, base: unknown): { body: Buffer; type?: string; label: string; extra?: Record<string, string> }[] {
    const json = Buffer.from(toJson(base ?? {}));
    const mp = multipart(g, [
      { name: 'name', data: 'fuzz' },
      { name: g.token(5), data: g.bytes(g.int(200)) },
      { name: 'file', filename: `${g.token(6)}.bin`, type: 'application/octet-stream', data: g.bytes(g.int(2000)) },
    ]);
    const bad = multipart(g, [{ name: '__proto__[polluted]', data: 'true' }, { name: 'constructor', data: 'x' }]);
    return [
      { body: json, type: 'text/plain', label: 'JSON as text/plain' },
      { body: Buffer.from('<?xml version="1.0"?><campaign><name>x</name></campaign>'), type: 'application/xml', label: 'application/xml' },
      { body: Buffer.from('name=fuzz&__proto__[polluted]=1&a[b][c]=d'), type: 'application/x-www-form-urlencoded', label: 'urlencoded' },
      { body: mp.body, type: mp.type, label: 'multipart with random parts' },
      { body: bad.body, type: bad.type, label: 'multipart with __proto__ field names' },
      { body: mp.body, type: 'multipart/form-data', label: 'multipart without boundary' },
      { body: mp.body, type: `multipart/form-data; boundary=${g.token(12)}`, label: 'multipart with the wrong boundary' },
      { body: mp.body.subarray(0, Math.floor(mp.body.length / 2)), type: mp.type, label: 'multipart cut in half' },
      { body: g.bytes(300), type: 'multipart/form-data; boundary="a b"', label: 'multipart: random bytes, quoted boundary' },
      { body: json, type: 'application/json; charset=utf-16', label: 'JSON in charset utf-16' },
      { body: json, type: 'application/json; charset=klingon', label: 'unknown charset' },
      { body: json, type: 'application/vnd.api+json', label: 'application/vnd.api+json' },
      { body: json, type: 'application/x-ndjson', label: 'x-ndjson' },
      { body: json, type: 'application/json', label: 'gzip that is not gzip', extra: { 'Content-Encoding': 'gzip' } },
      { body: json, type: 'application/json', label: 'unknown content-encoding', extra: { 'Content-Encoding': 'klingon' } },
      { body: json, type: undefined, label: 'no content-type' },
      { body: json, type: ';;;', label: 'malformed content-type' },
      { body: g.bytes(1000), type: 'application/octet-stream', label: 'octet-stream' },
      { body: g.bytes(500), type: 'application/json', label: 'random bytes as JSON' },
    ];
  }

  /** Every case for one operation, deterministic for (seed, operation). */
  function casesFor(o: Op, g: Gen): Case[] {
    const cases: Case[] = [];
    const pathParams = (o.op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
    const queryParams = (o.op.parameters ?? []).filter((p) => p.in === 'query');
    const canReal = realIdsAllowed(o);
    const goodPath = (): Record<string, string> => Object.fromEntries(pathParams.map((p) => [p, canReal ? realValue(o.template, p) : encodeURIComponent(p === 'name' ? `nope-${g.token(6)}` : g.uuid())]));
    const add = (path: string, summary: string, body?: Buffer, contentType?: string, extra: Record<string, string> = {}): void => {
      cases.push({ op: o, path, headers: { ...headersFor(contentType), ...extra }, body, summary });
    };
    const hasBody = ['post', 'patch', 'put'].includes(o.method);
    const schema = bodySchema(o);
    const base = schema ? validValue(schema, '', g) : undefined;
    const baseBody = (): Buffer | undefined => (base === undefined ? undefined : Buffer.from(toJson(base)));
    const baseType = base === undefined ? undefined : 'application/json';

    // 1. Path parameters: a random UUID, a real id (where allowed), and the garbage list.
    for (const p of pathParams) {
      const variants = [{ value: g.uuid(), label: 'random UUID' }, ...(canReal ? [{ value: realValue(o.template, p), label: 'real id' }] : []), ...PATH_GARBAGE];
      for (const v of variants) add(fillPath(o.template, { ...goodPath(), [p]: v.value }), `path ${p}=${v.label}`, baseBody(), baseType);
    }
    // 2. Query parameters: each documented one with each garbage value, arrays, and unknown ones.
    const path = fillPath(o.template, goodPath());
    for (const q of queryParams) {
      // The values every parameter gets, and a few more picked at random.
      for (const v of QUERY_GARBAGE.filter((_, i) => i < QUERY_GARBAGE_ALWAYS || g.chance(0.3))) add(`${path}?${q.name}=${v.value}`, `query ${q.name}=${v.label}`);
      add(`${path}?${q.name}=1&${q.name}=2`, `query ${q.name} twice`);
      add(`${path}?${q.name}[]=1&${q.name}[a]=2`, `query ${q.name}[] / ${q.name}[a]`);
    }
    for (const extra of ['foo=bar', '__proto__[polluted]=1', 'constructor=x&hasOwnProperty=1', `${g.token(300)}=${g.token(300)}`, '&&&=&=']) {
      add(`${path}?${extra}`, `unknown query ${extra.slice(0, 40)}`);
    }
    if (!hasBody) return cases;

    // 3. Bodies: broken JSON, other content types, empty ones.
    // A route that documents no body (start, cancel, …) gets a sample of these: it should ignore or refuse them alike.
    const share = o.op.requestBody ? 1 : 0.3;
    for (const b of BROKEN_JSON.filter(() => g.chance(share))) add(path, `body: ${b.label}`, Buffer.isBuffer(b.text) ? b.text : Buffer.from(b.text), 'application/json');
    for (const c of contentTypeCases(g, base).filter(() => g.chance(share))) add(path, `body: ${c.label}`, c.body, c.type, c.extra);
    add(path, 'no body, JSON content-type', undefined, 'application/json');
    add(path, 'empty body, JSON content-type', Buffer.alloc(0), 'application/json');
    add(path, 'empty body, no content-type', Buffer.alloc(0));
    add(path, 'chunked empty body', undefined, 'application/json', { 'Transfer-Encoding': 'chunked' });
    add(path, 'a 1 MB JSON string', Buffer.from(JSON.stringify('x'.repeat(MB))), 'application/json');
    // Idempotency-Key garbage on POSTs (documented header).
    if (o.method === 'post') {
      for (const k of ['', ' ', 'x'.repeat(300), 'é', '\t', g.uuid()]) add(path, `Idempotency-Key ${JSON.stringify(k.length > 20 ? `${k.slice(0, 5)}…(${k.length})` : k)}`, baseBody(), baseType ?? 'application/json', { 'Idempotency-Key': k });
    }

    // 4. Documented body properties: wrong types, odd strings, huge strings, deep nesting, pollution keys.
    const s = schema ? resolve(doc, schema) : undefined;
    const isArrayBody = s?.type === 'array';
    const itemSchema = isArrayBody ? resolve(doc, s?.items) : s;
    const baseItem = (isArrayBody ? (base as unknown[])[0] : base) as Record<string, unknown> | undefined;
    const wrap = (item: Record<string, unknown>): string => toJson(isArrayBody ? [item] : item);
    if (itemSchema?.properties && baseItem) {
      for (const [prop, ps] of Object.entries(itemSchema.properties)) {
        const values: unknown[] = [
          ...typeSwaps(g),
          ...ODD_STRINGS.filter((_, i) => i < ODD_STRINGS_ALWAYS || g.chance(0.15)),
          g.pick(ODD_NUMBERS),
          'x'.repeat(MB),
          raw(deepArray(), `[[[… ${DEEP} levels`),
          raw('{"__proto__":{"polluted":true}}', '{"__proto__":…}'),
          raw('{"constructor":{"prototype":{"polluted":true}}}', '{"constructor":{"prototype":…}}'),
          Array.from({ length: 10_000 }, (_, i) => `v${i}`),
        ];
        for (const v of values) add(path, `body.${prop} = ${show(v)}`, Buffer.from(wrap({ ...baseItem, [prop]: v })), 'application/json');
        // One level down: the parts of objects / objects in arrays.
        const sub = resolve(doc, resolve(doc, ps).type === 'array' ? resolve(doc, ps).items : ps);
        if (sub.properties) {
          const subBase = validValue(sub, prop, g, 1) as Record<string, unknown>;
          for (const [inner] of Object.entries(sub.properties)) {
            for (const v of [...typeSwaps(g).filter(() => g.chance(0.7)), g.pick(ODD_STRINGS), 'x'.repeat(100_000)]) {
              const nested = { ...subBase, [inner]: v };
              add(path, `body.${prop}.${inner} = ${show(v)}`, Buffer.from(wrap({ ...baseItem, [prop]: resolve(doc, ps).type === 'array' ? [nested] : nested })), 'application/json');
            }
          }
        }
      }
      add(path, 'body with unknown fields', Buffer.from(wrap({ ...baseItem, [g.token(8)]: 1, id: g.uuid(), created_at: 'yesterday' })), 'application/json');
      add(path, 'body with only nulls', Buffer.from(wrap(Object.fromEntries(Object.keys(itemSchema.properties).map((k) => [k, null])))), 'application/json');
    }
    if (isArrayBody) {
      // (Without 10,000-level values: stream-json takes seconds per MB of those, see the separate cases.)
      add(path, 'array body of 5,000 garbage items', Buffer.from(toJson(Array.from({ length: 5000 }, () => garbage(g, 1, false)))), 'application/json');
    }
    if (o.op.requestBody?.content['application/x-ndjson']) {
      const lines = [toJson(baseItem), '{', '', toJson(garbage(g)), deepArray(), JSON.stringify({ ...baseItem, question: '\ud800' }), '{"__proto__":{"polluted":true}}', 'x'.repeat(200_000)];
      add(path, 'JSON Lines with broken, deep, huge and polluting lines', Buffer.from(lines.join('\n')), 'application/x-ndjson');
      add(path, 'JSON Lines of random bytes', g.bytes(4000), 'application/x-ndjson');
      add(path, 'JSON Lines: a line of 10,000 nested arrays, CRLF', Buffer.from(`${toJson(baseItem)}\r\n${deepArray()}\r\n`), 'application/jsonl');
    }

    // 5. Random mixed cases.
    for (let i = 0; i < ITERATIONS; i++) {
      const values: Record<string, string> = {};
      const labels: string[] = [];
      for (const p of pathParams) {
        const v = g.chance(0.5) ? { value: goodPath()[p], label: 'good' } : g.chance(0.3) ? { value: g.uuid(), label: 'uuid' } : g.pick(PATH_GARBAGE);
        values[p] = v.value;
        labels.push(`${p}=${v.label}`);
      }
      const qs = queryParams.filter(() => g.chance(0.5)).map((q) => {
        const v = g.chance(0.5) ? g.pick(QUERY_GARBAGE) : { value: encodeURIComponent(String(toJson(garbage(g, 3))).slice(0, 2000)), label: 'garbage' };
        labels.push(`${q.name}=${v.label}`);
        return `${q.name}=${v.value}`;
      });
      const p = `${fillPath(o.template, values)}${qs.length ? `?${qs.join('&')}` : ''}`;
      if (!hasBody || g.chance(0.2)) {
        add(p, `mixed #${i}: ${labels.join(' ')}`);
        continue;
      }
      const item: Record<string, unknown> = { ...(baseItem ?? {}) };
      for (const k of Object.keys(itemSchema?.properties ?? { name: {} })) if (g.chance(0.4)) item[k] = garbage(g);
      if (g.chance(0.2)) item[g.pick(['colour', '__proto__', 'constructor', g.token(6)])] = garbage(g);
      const text = g.chance(0.1) ? wrap(item).slice(0, g.int(40)) : wrap(item);
      add(p, `mixed #${i}: ${labels.join(' ')} body ${show(raw(text))}`, Buffer.from(text), g.chance(0.9) ? 'application/json' : g.pick(['text/plain', 'application/xml', 'multipart/form-data; boundary=x']));
    }
    return cases;
  }

  /** A few uploads to the spreadsheet route: random bytes, a zip bomb, truncated and mislabeled files, odd fields. */
  function uploadCases(o: Op, g: Gen): Case[] {
    const cases: Case[] = [];
    const add = (parts: Parameters<typeof multipart>[1], summary: string, boundary?: string): void => {
      const m = multipart(g, parts, boundary);
      cases.push({ op: o, path: o.template, headers: headersFor(m.type), body: m.body, summary: `upload: ${summary}` });
    };
    const bomb = zipBomb(300 * MB);
    const campaignId = (): string => g.pick([fx.campaign, fx.campaign, g.uuid(), 'x', '', '\u0000', 'Ω'.repeat(50)]);
    for (const ext of ['xlsx', 'xls', 'ods', 'csv', 'tsv', 'txt', 'bin', '']) {
      add([{ name: 'campaign_id', data: campaignId() }, { name: 'file', filename: `fuzz.${ext}`, type: 'application/octet-stream', data: g.bytes(g.int(6000)) }], `random bytes as .${ext}`);
    }
    add([{ name: 'campaign_id', data: fx.campaign }, { name: 'file', filename: 'bomb.xlsx', data: bomb }], 'zip bomb (300 MB inflated) as .xlsx');
    add([{ name: 'campaign_id', data: fx.campaign }, { name: 'file', filename: 'bomb.csv', data: bomb }], 'zip bomb named .csv');
    add([{ name: 'campaign_id', data: fx.campaign }, { name: 'file', filename: 'half.xlsx', data: bomb.subarray(0, bomb.length >> 1) }], 'truncated zip as .xlsx');
    add([{ name: 'campaign_id', data: fx.campaign }, { name: 'file', filename: 'empty.csv', data: Buffer.alloc(0) }], 'empty file');
    add([{ name: 'campaign_id', data: fx.campaign }, { name: 'file', filename: 'q.csv', data: 'Question\n"broken,"quote\nQ?\n' }, { name: 'file', filename: 'q2.csv', data: 'Question\nQ2?\n' }], 'two files');
    add([{ name: 'campaign_id', data: fx.campaign }, { name: 'upload', filename: 'q.csv', data: 'Question\nQ?\n' }], 'file under another field name');
    add([{ name: 'campaign_id', data: fx.campaign }], 'no file');
    add(
      [
        { name: 'campaign_id', data: fx.campaign },
        { name: 'mapping', data: g.pick(['{', '[]', '{"question_text":{"a":1}}', '{"__proto__":{"polluted":true}}', 'null', '"x"', '{"nope":"Q"}']) },
        { name: 'mapping_profile', data: g.pick(['', 'x'.repeat(5000), fx.profile, '\u0000']) },
        { name: 'sheet', data: g.pick(['', 'Sheet9', '\ud800', 'x'.repeat(100_000)]) },
        { name: 'dry_run', data: g.pick(['maybe', 'true', '', '1']) },
        { name: 'file', filename: 'q.csv', data: 'Question;Topic\n"Which CRM?";A\n' },
      ],
      'odd mapping, profile, sheet and dry_run fields',
    );
    add([{ name: 'campaign_id', data: fx.campaign }, { name: 'dry_run', data: 'true' }, { name: 'file', filename: '../../etc/passwd', type: 'text/csv', data: 'Question\nQ?\n' }], 'path traversal file name');
    add(
      [
        { name: 'campaign_id', data: fx.campaign },
        { name: 'dry_run', data: 'true' },
        { name: 'file', filename: 'utf16.csv', data: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Question\r\n\ud800\u0000\u202E?\r\n', 'utf16le')]) },
      ],
      'UTF-16 CSV with a lone surrogate and NUL',
    );
    add(Array.from({ length: 40 }, (_, i) => ({ name: `f${i}`, data: 'x' })), '40 parts (over the part limit)');
    add([{ name: 'campaign_id', data: fx.campaign }, { name: 'file', filename: 'q.csv', data: 'Question\nQ?\n' }], 'a 70-char boundary', 'b'.repeat(70));
    for (let i = 0; i < Math.max(2, ITERATIONS); i++) {
      const parts = Array.from({ length: 1 + g.int(5) }, () =>
        g.chance(0.5)
          ? { name: g.pick(['file', 'campaign_id', 'mapping', 'sheet', g.token(4)]), filename: `${g.token(5)}.${g.pick(['xlsx', 'csv', 'ods'])}`, data: g.bytes(g.int(3000)) }
          : { name: g.pick(['campaign_id', 'dry_run', 'mapping', 'mapping_profile', g.token(3)]), data: show(garbage(g, 3)) },
      );
      add(parts, `random multipart #${i} (${parts.map((p) => p.name).join(',')})`);
    }
    return cases;
  }

  it('answers no 5xx, only problem+json 4xx, and still serves /healthz', async () => {
    process.stdout.write(`fuzz-openapi: FUZZ_SEED=${SEED} FUZZ_ITERATIONS=${ITERATIONS}${ONLY ? ` FUZZ_ONLY=${ONLY.source}` : ''}\n`);
    const ops: Op[] = [];
    for (const [template, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const key = `${method.toUpperCase()} ${template}`;
        if (!ONLY || ONLY.test(key)) ops.push({ method, template, op, key });
      }
    }
    expect(ops.length).toBeGreaterThan(ONLY ? 0 : 40);

    const offenders: string[] = [];
    const statuses: Record<string, number> = {};
    const slowest: { ms: number; label: string }[] = [];
    const byKind: Record<string, [number, number]> = {};
    let sent = 0;
    const started = Date.now();

    const check = async (c: Case): Promise<void> => {
      const label = `${c.op.key} [${c.summary}] (path ${c.path.length > 120 ? `${c.path.slice(0, 100)}…` : c.path})`;
      let res: RawResponse;
      try {
        res = await rawRequest(port, { method: c.op.method.toUpperCase(), path: c.path, headers: c.headers, body: c.body, timeoutMs: REQUEST_TIMEOUT_MS, agent });
      } catch (err) {
        const e = err as RawHttpError;
        offenders.push(`${label} → no answer: ${e.code ?? ''} ${e.message}`);
        return;
      }
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      slowest.push({ ms: res.ms, label: `${label} → ${res.status}` });
      if (slowest.length > 40) slowest.sort((a, b) => b.ms - a.ms).splice(20);
      const kind = c.summary.split(/[ =:.]/)[0];
      byKind[kind] = [(byKind[kind]?.[0] ?? 0) + 1, (byKind[kind]?.[1] ?? 0) + res.ms];
      const excerpt = res.text.slice(0, 300).replace(/\s+/g, ' ');
      if (res.status >= 500) {
        offenders.push(`${label} → ${res.status}: ${excerpt}`);
      } else if (res.status >= 400) {
        const type = String(res.headers['content-type'] ?? '');
        let body: { status?: unknown } | undefined;
        try {
          body = JSON.parse(res.text) as { status?: unknown };
        } catch {
          body = undefined;
        }
        if (!/^application\/problem\+json/.test(type) || body?.status !== res.status) {
          offenders.push(`${label} → ${res.status} not a matching problem (content-type ${type || 'none'}): ${excerpt}`);
        }
      } else if (/json/.test(String(res.headers['content-type'] ?? ''))) {
        try {
          JSON.parse(res.text);
        } catch {
          offenders.push(`${label} → ${res.status} with a body that is not JSON: ${excerpt}`);
        }
      }
    };

    for (const o of ops) {
      // One generator per operation, seeded from the seed and the operation: FUZZ_ONLY replays the same cases.
      const g = new Gen(SEED ^ [...o.key].reduce((h, ch) => (Math.imul(h, 31) + ch.charCodeAt(0)) | 0, 7));
      const cases = casesFor(o, g);
      if (o.template.endsWith('questions:ingest')) cases.push(...uploadCases(o, g));
      sent += cases.length;
      // A few at a time (the inputs stay deterministic; only the order of side effects may vary).
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < cases.length) await check(cases[next++]);
        }),
      );
    }
    process.stdout.write(`fuzz-openapi: ${sent} requests over ${ops.length} operations in ${Date.now() - started} ms; statuses ${JSON.stringify(statuses)}\n`);
    slowest.sort((a, b) => b.ms - a.ms);
    if (process.env.FUZZ_PROFILE) process.stdout.write(`${Object.entries(byKind).sort((a, b) => b[1][1] - a[1][1]).map(([k, [n, ms]]) => `  ${n} requests, ${ms} ms: ${k}`).join('\n')}\n`);
    if (process.env.FUZZ_PROFILE) process.stdout.write(`fuzz-openapi: slowest answers:\n${slowest.slice(0, 15).map((s) => `  ${s.ms} ms ${s.label.slice(0, 200)}`).join('\n')}\n`);

    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
    const health = await rawRequest(port, { method: 'GET', path: '/healthz', timeoutMs: REQUEST_TIMEOUT_MS });
    expect(health.status).toBe(200);
    if (offenders.length) {
      throw new Error(`${offenders.length} of ${sent} fuzz cases failed (FUZZ_SEED=${SEED} FUZZ_ITERATIONS=${ITERATIONS}):\n${offenders.sort().join('\n')}`);
    }
  }, 300_000);
});
