/**
 * Helpers of `npm run demo` (scripts/demo.ts): argument parsing, the child processes and their log
 * files, a small API client, the progress line and the closing summary. Nothing here is loaded by
 * the API or the worker.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';

// ---------------------------------------------------------------------------
// options

export interface DemoOptions {
  /** Real providers (those whose key is set) instead of the emulator. */
  live: boolean;
  /** Stop everything once the run is over (exit code 0 on a completed run, 1 otherwise). */
  exit: boolean;
  samples: number;
  /** --live runs the first topic only unless this is set (real calls cost money). */
  allTopics: boolean;
  /** Gives up when the run is not over after this many seconds. */
  timeoutSeconds: number;
  help: boolean;
}

export const USAGE = `usage: npm run demo [-- options]

Starts the provider emulator, the API and the worker (Postgres and Redis found or started by
scripts/local-services.js), imports examples/question-set.jsonl, runs the "Acme CRM visibility"
campaign against openai gpt-5-mini, perplexity perplexity/sonar and gemini gemini-2.5-flash,
shows the progress and a summary, then leaves the API up until Ctrl-C.

  --exit            stop everything when the run is over (exit code 0 on a completed run, 1 otherwise)
  --live            call the real providers whose key is set (OPENAI_API_KEY, GOOGLE_API_KEY,
                    PERPLEXITY_API_KEY) instead of the emulator; first topic only unless --all-topics
  --all-topics      with --live: every topic of the campaign
  --samples N       answers per question and provider (default 1)
  --timeout S       give up when the run is not over after S seconds (default 900)
  -h, --help        this text

Child logs: artefacts/demo/*.log. Database schema geo_demo, Redis prefix geo-demo.`;

export class UsageError extends Error {}

export function parseArgs(argv: string[]): DemoOptions {
  const opts: DemoOptions = { live: false, exit: false, samples: 1, allTopics: false, timeoutSeconds: 900, help: false };
  const intArg = (name: string, value: string | undefined, min: number, max: number): number => {
    const n = Number(value);
    if (value === undefined || !Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name} needs an integer from ${min} to ${max}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].startsWith('--') && argv[i].includes('=') ? [argv[i].slice(0, argv[i].indexOf('=')), argv[i].slice(argv[i].indexOf('=') + 1)] : [argv[i], undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--exit':
        opts.exit = true;
        break;
      case '--live':
        opts.live = true;
        break;
      case '--all-topics':
        opts.allTopics = true;
        break;
      case '--samples':
        opts.samples = intArg('--samples', value(), 1, 10);
        break;
      case '--timeout':
        opts.timeoutSeconds = intArg('--timeout', value(), 10, 86_400);
        break;
      case '-h':
      case '--help':
        opts.help = true;
        break;
      default:
        throw new UsageError(`unknown option ${argv[i]}`);
    }
  }
  return opts;
}

// ---------------------------------------------------------------------------
// shell output of `node scripts/local-services.js up`

/** Reads a shell word as `local-services.js` quotes it ('...' with '\'' for a quote). */
export function shellUnquote(word: string): string {
  let out = '';
  for (let i = 0; i < word.length; i++) {
    const ch = word[i];
    if (ch === "'") {
      const end = word.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote in ${word}`);
      out += word.slice(i + 1, end);
      i = end;
    } else if (ch === '\\' && i + 1 < word.length) {
      out += word[++i];
    } else if (ch === '"') {
      const end = word.indexOf('"', i + 1);
      if (end < 0) throw new Error(`unterminated quote in ${word}`);
      out += word.slice(i + 1, end);
      i = end;
    } else {
      out += ch;
    }
  }
  return out;
}

/** `export NAME=value` lines to an object (other lines are ignored). */
export function parseExports(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*export\s+([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1]] = shellUnquote(m[2].trim());
  }
  return env;
}

/** Hides the password of `scheme://user:password@host` URLs. */
export function maskUrl(text: string): string {
  return text.replace(/(\/\/[^\s:@/]*:)[^\s@/]*@/g, '$1***@');
}

// ---------------------------------------------------------------------------
// ports, waiting

export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// child processes

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child process whose stdout and stderr go to a log file. */
export class Child {
  readonly process: ChildProcess;
  readonly exited: Promise<ChildExit>;
  exit: ChildExit | null = null;
  private stopping = false;

  constructor(
    readonly name: string,
    readonly logPath: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    cwd: string,
  ) {
    const fd = openSync(logPath, 'w');
    try {
      // Its own process group: a Ctrl-C on the terminal reaches the demo only, and the demo
      // stops the children in order (a second signal would make them exit at once).
      this.process = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', fd, fd], detached: true });
    } finally {
      closeSync(fd);
    }
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
      this.process.once('error', (err) => {
        this.exit = { code: -1, signal: null };
        logAppend(logPath, `spawn failed: ${err.message}`);
        resolve(this.exit);
      });
    });
  }

  get running(): boolean {
    return this.exit === null;
  }

  /** True once stop() was called: an exit after that is expected. */
  get expectedToExit(): boolean {
    return this.stopping;
  }

  log(): string {
    try {
      return readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  /**
   * The last lines of the log that say something: warnings, errors and anything that is not a
   * JSON log line (a stack trace); the last few lines when there is none. Long lines are cut.
   */
  tail(lines = 15): string {
    const all = this.log()
      .split('\n')
      .filter((l) => l.trim() !== '');
    const notable = all.slice(-500).filter(isNotableLogLine);
    return (notable.length ? notable.slice(-lines) : all.slice(-Math.min(lines, 5))).map((l) => (l.length > 400 ? `${l.slice(0, 400)}…` : l)).join('\n');
  }

  /** SIGTERM, then SIGKILL after graceMs. Resolves when the process is gone. */
  async stop(graceMs = 30_000): Promise<ChildExit> {
    this.stopping = true;
    if (this.exit) return this.exit;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.exit || this.process.pid === undefined) return;
    try {
      process.kill(this.process.pid, sig);
    } catch {
      // already gone
    }
  }
}

/** Not a pino line below warn (level 40), e.g. a warning, an error or a stack trace. */
export function isNotableLogLine(line: string): boolean {
  if (!line.startsWith('{')) return true;
  try {
    const level = (JSON.parse(line) as { level?: unknown }).level;
    if (typeof level === 'number') return level >= 40;
    return typeof level === 'string' ? !['trace', 'debug', 'info'].includes(level) : true;
  } catch {
    return true;
  }
}

function logAppend(path: string, line: string): void {
  try {
    const fd = openSync(path, 'a');
    try {
      writeSync(fd, `${line}\n`);
    } finally {
      closeSync(fd);
    }
  } catch {
    // nothing to do
  }
}

// ---------------------------------------------------------------------------
// API client

export class HttpError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${method} ${path} answered ${status}: ${HttpError.detail(body)}`);
    this.name = 'HttpError';
  }

  /** The problem's detail (and its field errors) when the body is RFC 7807, else the body's start. */
  static detail(body: string): string {
    try {
      const p = JSON.parse(body) as { title?: string; detail?: string; errors?: Array<{ field?: string; line?: number; message?: string }> };
      const errors = (p.errors ?? []).slice(0, 5).map((e) => `${e.field ?? (e.line !== undefined ? `line ${e.line}` : '')}: ${e.message ?? ''}`);
      return [p.detail ?? p.title ?? body.slice(0, 300), ...errors].join('; ');
    } catch {
      return body.slice(0, 300);
    }
  }
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly apiKey: string,
    private readonly timeoutMs = 30_000,
  ) {}

  async request<T>(method: string, path: string, opts: { json?: unknown; body?: string; contentType?: string; expect?: number[] } = {}): Promise<T> {
    const headers: Record<string, string> = { 'X-API-Key': this.apiKey, Accept: 'application/json' };
    let body: string | undefined;
    if (opts.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.body !== undefined) {
      headers['Content-Type'] = opts.contentType ?? 'text/plain';
      body = opts.body;
    }
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, { method, headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const cause = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${this.timeoutMs / 1000} s` : describeFetchError(err);
      throw new Error(`${method} ${path}: ${cause}`);
    }
    const text = await res.text();
    const expect = opts.expect ?? [200, 201, 202];
    if (!expect.includes(res.status)) throw new HttpError(method, path, res.status, text);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  /** Every item of a paginated list (500 a page). */
  async all<T>(path: string): Promise<T[]> {
    const out: T[] = [];
    const sep = path.includes('?') ? '&' : '?';
    for (let offset = 0; ; ) {
      const page = await this.get<Page<T>>(`${path}${sep}limit=500&offset=${offset}`);
      out.push(...page.items);
      offset += page.items.length;
      if (page.items.length === 0 || offset >= page.total) return out;
    }
  }
}

export function describeFetchError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? err.message;
}

// ---------------------------------------------------------------------------
// the run as the API describes it (docs/api-contract.md, Runs); every field is read defensively

export const TERMINAL_STATUSES = new Set(['completed', 'completed_with_errors', 'cancelled']);

export interface RunCounts {
  total: number;
  pending: number;
  queued: number;
  running: number;
  succeeded: number;
  failed: number;
  cancelled: number;
}

export interface RunSummary {
  id: string;
  campaign_id?: string;
  label?: string | null;
  status: string;
  counts?: Partial<RunCounts>;
  progress?: number | null;
  throughput_per_min?: number | null;
  eta_seconds?: number | null;
  cost_usd?: number | string | null;
  cache_hits?: number | null;
  errors?: Array<{ run_item_id?: string; message?: string; at?: string }>;
  created_at?: string;
  started_at?: string | null;
  finished_at?: string | null;
}

export interface RunItem {
  id: string;
  provider: string;
  model: string;
  status: string;
  attempt_count?: number | null;
  last_error?: string | null;
  question_text?: string;
  response?: {
    text?: string | null;
    citations?: Array<{ url?: string; domain?: string }> | null;
    latency_ms?: number | null;
    cost_usd?: number | string | null;
    usage?: { input_tokens?: number | null; output_tokens?: number | null } | null;
  } | null;
  analysis?: { brand_mentioned?: boolean | null } | null;
}

export function countsOf(s: RunSummary): RunCounts {
  const c = s.counts ?? {};
  const n = (v: number | undefined): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return { total: n(c.total), pending: n(c.pending), queued: n(c.queued), running: n(c.running), succeeded: n(c.succeeded), failed: n(c.failed), cancelled: n(c.cancelled) };
}

export const doneOf = (c: RunCounts): number => c.succeeded + c.failed + c.cancelled;

export function num(v: number | string | null | undefined): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

// ---------------------------------------------------------------------------
// formatting

export interface Style {
  bold: (s: string) => string;
  dim: (s: string) => string;
  green: (s: string) => string;
  red: (s: string) => string;
  yellow: (s: string) => string;
  cyan: (s: string) => string;
}

export function style(enabled: boolean): Style {
  const wrap = (open: number, close: number) => (s: string) => (enabled ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  return { bold: wrap(1, 22), dim: wrap(2, 22), green: wrap(32, 39), red: wrap(31, 39), yellow: wrap(33, 39), cyan: wrap(36, 39) };
}

/** 75 -> "1:15", 3725 -> "1:02:05". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Nearest-rank percentile of unsorted numbers (null when there are none). */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export interface ProgressView {
  counts: RunCounts;
  status: string;
  /** Items finished per second (null while unknown). */
  ratePerSecond: number | null;
  etaSeconds: number | null;
  elapsedSeconds: number;
}

// eslint-disable-next-line no-control-regex -- ANSI colour codes
const ANSI = /\x1b\[[0-9;]*m/g;
const stripAnsi = (s: string): string => s.replace(ANSI, '');
const visibleLength = (s: string): number => stripAnsi(s).length;

/** The single-line progress bar, fitted to `columns`. */
export function renderBar(v: ProgressView, columns: number, st: Style): string {
  const c = v.counts;
  const done = doneOf(c);
  const ratio = c.total > 0 ? Math.min(1, done / c.total) : 0;
  const pct = `${String(Math.floor(ratio * 100)).padStart(3)}%`;
  // In order of importance: on a narrow terminal the last ones go first.
  const parts = [
    `${pct} ${done}/${c.total}`,
    `${st.green(`✓${c.succeeded}`)} ${c.failed ? st.red(`✗${c.failed}`) : st.dim('✗0')}${c.cancelled ? ` ${st.yellow(`⊘${c.cancelled}`)}` : ''}`,
    `ETA ${v.etaSeconds === null ? '–' : formatDuration(v.etaSeconds)}`,
    v.ratePerSecond === null ? '–/s' : `${v.ratePerSecond.toFixed(1)}/s`,
    `${c.running} running, ${c.queued + c.pending} waiting`,
    st.dim(formatDuration(v.elapsedSeconds)),
  ];
  const order = [0, 1, 4, 3, 2, 5]; // display order
  for (let keep = parts.length; keep >= 1; keep--) {
    const text = order.filter((i) => i < keep).map((i) => parts[i]).join(st.dim(' · '));
    const room = columns - visibleLength(text) - 3;
    if (room < 10 && keep > 1) continue;
    if (room < 10) return fit(text, columns);
    const width = Math.min(40, room);
    const filled = Math.round(ratio * width);
    return `${st.cyan('█'.repeat(filled))}${st.dim('░'.repeat(width - filled))}  ${text}`;
  }
  return '';
}

/** The progress as one plain line (stdout is not a terminal). */
export function renderPlain(v: ProgressView): string {
  const c = v.counts;
  const done = doneOf(c);
  const pct = c.total > 0 ? Math.floor((done / c.total) * 100) : 0;
  return (
    `progress ${done}/${c.total} (${pct}%) status=${v.status} succeeded=${c.succeeded} failed=${c.failed} cancelled=${c.cancelled} ` +
    `running=${c.running} waiting=${c.queued + c.pending} rate=${v.ratePerSecond === null ? '-' : v.ratePerSecond.toFixed(1)}/s ` +
    `eta=${v.etaSeconds === null ? '-' : formatDuration(v.etaSeconds)} elapsed=${formatDuration(v.elapsedSeconds)}`
  );
}

function fit(s: string, columns: number): string {
  const plain = stripAnsi(s);
  return plain.length <= columns - 1 ? plain : `${plain.slice(0, Math.max(0, columns - 2))}…`;
}

/** Rate over a sliding window of (time, done) samples. */
export class RateMeter {
  private samples: Array<{ t: number; done: number }> = [];

  constructor(private readonly windowMs = 10_000) {}

  add(t: number, done: number): void {
    this.samples.push({ t, done });
    while (this.samples.length > 2 && t - this.samples[1].t >= this.windowMs) this.samples.shift();
  }

  perSecond(): number | null {
    if (this.samples.length < 2) return null;
    const a = this.samples[0];
    const b = this.samples[this.samples.length - 1];
    if (b.t - a.t < 1000) return null;
    return ((b.done - a.done) * 1000) / (b.t - a.t);
  }
}

// ---------------------------------------------------------------------------
// the closing summary

export interface ProviderStats {
  provider: string;
  model: string;
  items: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  retries: number;
  costUsd: number;
  latencyP50: number | null;
  latencyP95: number | null;
  mentioned: number;
  analysed: number;
  citations: number;
}

/** Per provider and model: counts, retries, cost and latency percentiles of the answered items. */
export function providerStats(items: RunItem[]): ProviderStats[] {
  const groups = new Map<string, { provider: string; model: string; items: RunItem[] }>();
  for (const it of items) {
    const key = `${it.provider}\u0000${it.model}`;
    const g = groups.get(key) ?? { provider: it.provider, model: it.model, items: [] };
    g.items.push(it);
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => {
    const latencies = g.items.map((i) => num(i.response?.latency_ms)).filter((n): n is number => n !== null);
    const analysed = g.items.filter((i) => typeof i.analysis?.brand_mentioned === 'boolean');
    return {
      provider: g.provider,
      model: g.model,
      items: g.items.length,
      succeeded: g.items.filter((i) => i.status === 'succeeded').length,
      failed: g.items.filter((i) => i.status === 'failed').length,
      cancelled: g.items.filter((i) => i.status === 'cancelled').length,
      retries: g.items.reduce((sum, i) => sum + Math.max(0, (num(i.attempt_count) ?? 1) - 1), 0),
      costUsd: g.items.reduce((sum, i) => sum + (num(i.response?.cost_usd) ?? 0), 0),
      latencyP50: percentile(latencies, 50),
      latencyP95: percentile(latencies, 95),
      mentioned: analysed.filter((i) => i.analysis?.brand_mentioned === true).length,
      analysed: analysed.length,
      citations: g.items.reduce((sum, i) => sum + (i.response?.citations?.length ?? 0), 0),
    };
  });
}

/** Left-aligned first two columns (or those `leftAligned` names) and right-aligned others. */
export function table(header: string[], rows: string[][], leftAligned: (i: number) => boolean = (i) => i < 2): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string =>
    r
      .map((cell, i) => (leftAligned(i) ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

export function money(usd: number | null): string {
  if (usd === null) return '–';
  return `$${usd.toFixed(usd < 1 ? 4 : 2)}`;
}

/** The slice of GET /runs/{id}/metrics that the demo prints. */
export interface VisibilityMetrics {
  answers: number;
  mention_rate: number | null;
  mention_rate_ci: [number, number];
  share_of_voice: number | null;
  avg_rank: number | null;
  top3_rate: number | null;
  citation_rate: number | null;
  top_domains: { domain: string; count: number }[];
  competitors: { name: string; mention_rate: number | null; share_of_voice: number | null }[];
  sentiment: { positive: number | null; neutral: number | null; negative: number | null };
}

export interface RunMetricsResponse {
  overall: VisibilityMetrics;
  slices: ({ key: Record<string, string | null> } & VisibilityMetrics)[];
  analysis?: { stale_answers?: number };
}

const pct = (x: number | null): string => (x === null ? '–' : `${Math.round(x * 100)}%`);

/**
 * The visibility table of a run, by provider then overall: mention rate with its 95% interval,
 * share of voice, average rank, top-3 rate, own-domain citation rate and the top cited domains;
 * then each competitor's mention rate and share of voice.
 */
export function visibilityTable(m: RunMetricsResponse, brand: string): string[] {
  const row = (label: string, x: VisibilityMetrics): string[] => [
    label,
    String(x.answers),
    x.mention_rate === null ? '–' : `${pct(x.mention_rate)} (${pct(x.mention_rate_ci[0])}–${pct(x.mention_rate_ci[1])})`,
    pct(x.share_of_voice),
    x.avg_rank === null ? '–' : x.avg_rank.toFixed(2),
    pct(x.top3_rate),
    pct(x.citation_rate),
    x.top_domains
      .slice(0, 3)
      .map((d) => `${d.domain} (${d.count})`)
      .join(', ') || '–',
  ];
  const header = ['provider', 'answers', 'mentioned (95% CI)', 'share of voice', 'avg rank', 'top-3', 'cites us', 'top cited domains'];
  const rows = [...m.slices.map((s) => row(s.key.provider ?? Object.values(s.key).join('/'), s)), row('all', m.overall)];
  const lines = [`Visibility of ${brand}`, ...table(header, rows, (i) => i === 0 || i === header.length - 1)];
  const o = m.overall;
  if (o.sentiment.positive !== null) lines.push(`sentiment when mentioned: ${pct(o.sentiment.positive)} positive, ${pct(o.sentiment.neutral)} neutral, ${pct(o.sentiment.negative)} negative`);
  if (o.competitors.length) lines.push(`competitors: ${o.competitors.map((c) => `${c.name} ${pct(c.mention_rate)} mentioned, ${pct(c.share_of_voice)} of voice`).join('; ')}`);
  if (m.analysis?.stale_answers) lines.push(`(${m.analysis.stale_answers} answers were analysed with an older configuration: POST /api/v1/runs/{id}:rescore)`);
  return lines;
}
