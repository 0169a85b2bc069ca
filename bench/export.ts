/**
 * npm run bench:export — what exporting a big run costs: GET /runs/{id}/results:download as CSV,
 * JSONL and XLSX, on runs of 25,000, 50,000 and 100,000 answered items, in each database mode,
 * against reading the same rows with a bare cursor. The target (docs/quality-bar.md): 100,000
 * responses at ≥ 50,000 rows/s in CSV and JSONL and ≥ 20,000 rows/s in XLSX, with the exporting
 * process' peak RSS ≤ 300 MB and flat as the rows grow.
 *
 * Seeding: a campaign (20 topics × 5 personas × 10 questions, a brand and 5 competitors) is
 * imported through the API. A run of 100,000 answered items is seeded straight into Postgres,
 * shaped as the worker stores it (run-item-full.repository.ts / run-item-compat.repository.ts
 * `complete`): 1.5–3 KB markdown answers (heading, numbered list, paragraphs, a quoted phrase now
 * and then), 3–8 citations, the raw request and response, the analysis JSON and its columns. The
 * 50,000- and 25,000-item runs are copies of its first rows, and a 1,000-item run warms each API
 * process up. Then `VACUUM ANALYZE`, as autovacuum would leave the tables.
 *
 * Each download runs in a fresh API process (compiled by default, as `dist/` runs in production),
 * so that its RSS is this export's alone: one warm-up download of the 1,000-item run, then the
 * timed one, read by a client in this process that counts the bytes and discards them. RSS is read
 * from /proc/<pid>/status every 50 ms while the download runs (and VmHWM, the kernel's peak, at the
 * end), with the API's CPU time from /proc/<pid>/stat. The floor: the repository's exact statement
 * read by pg-cursor in this process (500 rows a read, as src/core/database/cursor.ts), no mapping,
 * no formatting. Once per mode, the export job path too: POST /exports (CSV), a worker process
 * writing the file to its EXPORT_DIR, timed until the job says succeeded, with the worker's RSS.
 * The load average is printed at the start of every measurement (the machine may be shared).
 *
 * Environment (defaults in brackets):
 *   BENCH_MODE        full | compat; unset = both, full first
 *   BENCH_SIZES       run sizes [25000,50000,100000]; the largest is seeded, the others copied
 *   BENCH_FORMATS     [csv,jsonl,xlsx]
 *   BENCH_REPEAT      timed downloads per format and size, each in a fresh API process [2]
 *   BENCH_API         compiled | ts-node [compiled]: compiled = tsc into .local/bench-build-export
 *   BENCH_SKIP_BUILD  1 = reuse .local/bench-build-export as it is
 *   BENCH_JOB         0 = skip the export job [1]
 *   BENCH_CHECKS      0 = skip the behaviour checks (a 2 MB/s client on the largest CSV with the app's
 *                     statement timeout; a client that hangs up after 1 MB of XLSX, then of CSV) [1]
 *   BENCH_STATEMENT_TIMEOUT_MS  DB_STATEMENT_TIMEOUT_MS of the timed downloads' API [0: none, so a
 *                     slow export is timed instead of cut; the export job too; the checks keep the app's 60 s]
 *   BENCH_CPU_PROF    a directory: the API runs with --cpu-prof there, and each timed download's
 *                     top self-time functions and packages (its samples only) are printed
 *   BENCH_API_NODE_OPTIONS  extra node flags for the API processes (e.g. --max-old-space-size=128)
 *   BENCH_KEEP_SCHEMA 1 = seed into bench_export_kept_<mode> and keep it; a later run with it set reuses
 *                     that schema when it holds every size (drop it by hand)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { analysisConfigKey, ANALYSIS_VERSION } from '../src/analysis/visibility';
import { compatSql } from '../src/core/database/offline-sql';
import { trackedBrands } from '../src/runs/tracked-brands';
import { API_KEY, compileApp, emit, freePort, median, ROOT, sql } from './bench-helpers';
import { api, BRAND, COMPETITORS, DOMAIN_COMPETITOR, DOMAINS, importCampaign, iso, itemId, OWN_DOMAIN, sentences, type CampaignDto } from './bench-campaign';
import { summarizeProfile } from './cpu-profile';
import { dropRedisPrefix } from '../test/helpers/schema';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- pg-cursor ships no types
const Cursor = require('pg-cursor') as new (text: string, values?: unknown[]) => { read(rows: number): Promise<unknown[]>; close(): Promise<void> };

type Mode = 'full' | 'compat';
type Format = 'csv' | 'jsonl' | 'xlsx';

const list = (name: string, dflt: string): string[] =>
  (process.env[name] ?? dflt)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const MODES: Mode[] = process.env.BENCH_MODE === 'compat' ? ['compat'] : process.env.BENCH_MODE === 'full' ? ['full'] : ['full', 'compat'];
const SIZES = list('BENCH_SIZES', '25000,50000,100000')
  .map(Number)
  .sort((a, b) => a - b);
const N = SIZES[SIZES.length - 1];
const WARM_N = Math.min(1000, N);
const FORMATS = list('BENCH_FORMATS', 'csv,jsonl,xlsx') as Format[];
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? 2));
const API_BUILD = process.env.BENCH_API === 'ts-node' ? 'ts-node' : 'compiled';
const BUILD_DIR = join(ROOT, '.local', 'bench-build-export');
const CPU_PROF = process.env.BENCH_CPU_PROF;
const RUN_JOB = process.env.BENCH_JOB !== '0';
const RUN_CHECKS = process.env.BENCH_CHECKS !== '0';
/** The timed downloads' DB_STATEMENT_TIMEOUT_MS: none, so that a slow export is timed rather than cut (the checks use the app's default). */
const STATEMENT_TIMEOUT_MS = process.env.BENCH_STATEMENT_TIMEOUT_MS ?? '0';
const SLOW_CLIENT_BYTES_PER_S = 2_000_000;
const TARGET_ROWS_S: Record<Format, number> = { csv: 50_000, jsonl: 50_000, xlsx: 20_000 };
const TARGET_RSS_MIB = 300e6 / 1048576; // 300 MB
const CLK_TCK = 100;

const PROVIDERS = [
  { provider: 'openai', model: 'gpt-5-mini', served: 'gpt-5-mini-2025-08-07', path: '/v1/responses' },
  { provider: 'gemini', model: 'gemini-2.5-flash', served: 'gemini-2.5-flash', path: '/v1beta/models/gemini-2.5-flash:generateContent' },
  { provider: 'perplexity', model: 'sonar', served: 'sonar', path: '/chat/completions' },
];
const SYSTEM_PROMPT =
  'You are a helpful assistant answering a buyer researching software. Answer the question as you would for any user: name the products you would consider, ' +
  'explain the trade-offs, and cite the sources you relied on. Do not mention that you are being evaluated. Keep the answer focused and practical, with a short list ' +
  'of options where a list helps, and say plainly when you do not know a product well enough to recommend it.';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;
const load = (): number[] => loadavg().map((x) => round(x, 2));


// ---------------------------------------------------------------------------------------------
// processes: the API (and a worker) as children, their RSS and CPU

interface Proc {
  child: ChildProcess;
  pid: number;
  url: string;
  output: () => string;
  exited: Promise<void>;
}

const live = new Set<Proc>();

function build(): void {
  if (API_BUILD !== 'compiled') return;
  const built = compileApp(BUILD_DIR, join('src', 'main.js'));
  if (built) emit({ step: 'build', api: 'compiled', out_dir: '.local/bench-build-export', ...built });
}

function entry(name: 'main' | 'worker'): string[] {
  return API_BUILD === 'compiled' ? [join(BUILD_DIR, 'src', `${name}.js`)] : ['-r', 'ts-node/register/transpile-only', join(ROOT, 'src', `${name}.ts`)];
}

async function spawnProc(name: 'main' | 'worker', env: Record<string, string>, profile?: string): Promise<Proc> {
  const port = await freePort();
  const args = entry(name);
  if (name === 'main' && process.env.BENCH_API_NODE_OPTIONS) args.unshift(...process.env.BENCH_API_NODE_OPTIONS.split(' ').filter(Boolean));
  if (profile && CPU_PROF) {
    mkdirSync(CPU_PROF, { recursive: true });
    args.unshift('--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`, `--cpu-prof-name=${profile}.cpuprofile`);
  }
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', API_KEYS: API_KEY, NODE_ENV: 'production', LOG_LEVEL: name === 'worker' ? 'info' : 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer): void => {
    out += d.toString();
    if (out.length > 256 * 1024) out = out.slice(-128 * 1024);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const p: Proc = { child, pid: child.pid!, url: `http://127.0.0.1:${port}`, output: () => out, exited };
  live.add(p);
  void exited.then(() => live.delete(p));
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (name === 'main') {
      try {
        if ((await fetch(`${p.url}/readyz`)).ok) break;
      } catch {
        // not listening yet
      }
    } else if (/worker started/.test(out)) break;
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}) before it was ready: ${out.slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`${name} was not ready within 90 s: ${out.slice(-3000)}`);
    await sleep(100);
  }
  return p;
}

async function stopProc(p: Proc): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 20_000);
  await p.exited;
  clearTimeout(timer);
}

function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** User + system CPU seconds a process has used so far. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** RSS of a process every 50 ms until stop(): its peak and its timeline. */
function rssSampler(pid: number): { stop: () => { peak: number; timeline: number[] } } {
  const timeline: number[] = [];
  const tick = (): void => {
    const v = procStatus(pid, 'VmRSS');
    if (Number.isFinite(v)) timeline.push(v);
  };
  tick();
  const timer = setInterval(tick, 50);
  return {
    stop: () => {
      clearInterval(timer);
      tick();
      return { peak: Math.max(...timeline), timeline };
    },
  };
}

/** Busy and total CPU ticks of the whole machine (/proc/stat). */
function machineTicks(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - f[4], total };
}

interface CpuSplit {
  seconds: number;
  /** Cores used on average over the window, by whom. */
  cores: { exporter: number; postgres_export_backends: number; client: number; everything_else: number; machine: number };
}

/**
 * Where the machine's CPU went during a window: the exporting process, the Postgres backends that
 * ran the export's statement (found in pg_stat_activity by their query text, polled every 50 ms),
 * this process (the client), and everything else (other sessions included).
 */
function cpuWatch(exporterPid: number, schema: string): { stop: () => Promise<CpuSplit> } {
  const nproc = availableParallelism();
  const m0 = machineTicks();
  const e0 = cpuSeconds(exporterPid);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const backends = new Map<number, number>();
  const db = new Client({ connectionString: process.env.DATABASE_URL });
  let stopped = false;
  const poll = (async (): Promise<void> => {
    await db.connect();
    while (!stopped) {
      const rows = await db.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND position($1 in query) > 0
           AND (query LIKE 'SELECT ri.id, ri.run_id%' OR query LIKE 'SELECT run_item_id, run_id, provider%')`,
        [`"${schema}".`],
      );
      for (const r of rows.rows) if (!backends.has(r.pid)) backends.set(r.pid, cpuSeconds(r.pid));
      await sleep(50);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await poll.catch(() => undefined);
      await db.end().catch(() => undefined);
      const seconds = (performance.now() - t0) / 1000;
      const m1 = machineTicks();
      const machine = ((m1.busy - m0.busy) / Math.max(1, m1.total - m0.total)) * nproc;
      const exporter = (cpuSeconds(exporterPid) - e0) / seconds;
      let pg = 0;
      for (const [pid, c] of backends) pg += cpuSeconds(pid) - c;
      const cu = process.cpuUsage(c0);
      const client = (cu.user + cu.system) / 1e6 / seconds;
      const postgres = pg / seconds;
      return {
        seconds: round(seconds, 2),
        cores: { exporter: round(exporter, 2), postgres_export_backends: round(postgres, 2), client: round(client, 2), everything_else: round(Math.max(0, machine - exporter - postgres - client), 2), machine: round(machine, 2) },
      };
    },
  };
}

/**
 * CPU time per row (µs) of the exporter, its Postgres backends and the client, and the rate the
 * machine's 2 cores would allow if nothing else ran: each process at most one core (a pipeline runs
 * at the pace of its slowest stage), all of them at most every core.
 */
function perRow(split: CpuSplit, rows: number): { exporter_us: number; postgres_us: number; client_us: number; idle_machine_ceiling_rows_per_s: number } {
  const us = (cores: number): number => (cores * split.seconds * 1e6) / rows;
  const e = us(split.cores.exporter);
  const p = us(split.cores.postgres_export_backends);
  const c = us(split.cores.client);
  const ceiling = Math.min(1e6 / Math.max(e, p, c), (availableParallelism() * 1e6) / (e + p + c));
  return { exporter_us: round(e, 0), postgres_us: round(p, 0), client_us: round(c, 0), idle_machine_ceiling_rows_per_s: Math.round(ceiling) };
}

/** Ten points of a timeline (0 %, 10 %, … 100 %), rounded. */
const deciles = (xs: number[]): number[] => Array.from({ length: 11 }, (_, k) => Math.round(xs[Math.min(xs.length - 1, Math.floor((k * (xs.length - 1)) / 10))] ?? NaN));

// ---------------------------------------------------------------------------------------------
// seeding (the answers' shape as bench/metrics.ts seeds them, with markdown answers)


/** The same item of run number `k` as `col` (a copy). */
const copiedId = (col: string, k: string): string => `(lpad(to_hex(${k}::int), 4, '0') || substr(replace(${col}::text, '-', ''), 5))::uuid`;

/**
 * The answers of run number $8, one row per item i (question i mod Q, provider by blocks of Q,
 * sample after the three providers). Parameters: $1 run id, $2 campaign id, $3 questions (jsonb
 * array), $4 Q, $5 sentences, $6 analysis key, $7 items, $8 run number, $9 competitor names,
 * $10 cited-domain pool, $11 the competitor owning each domain (''), $12 the run's end.
 */
const ANSWERS = `
  qs AS MATERIALIZED (
    SELECT (n - 1)::int AS qn, value AS q FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS t(value, n)
  ),
  a AS MATERIALIZED (
    SELECT i, ${itemId('$8')} AS item_id, $2::uuid AS campaign_id, qs.q, ((i - 1) / $4::int) % 3 AS p, (i - 1) / ($4::int * 3) AS s,
      random() < 0.55 AS mentioned, 1 + floor(random() ^ 2 * 5)::int AS want_rank, random() AS r_sent,
      ARRAY(SELECT c FROM unnest($9::text[]) AS c WHERE random() < 0.35 AND i > 0) AS comps,
      3 + floor(random() * 6)::int AS nc, 1500 + floor(random() * 1500)::int AS len,
      60 + floor(random() * 140)::int AS input_tokens, 700 + floor(random() * 9000)::int AS latency_ms,
      $12::timestamptz - random() * interval '50 minutes' AS finished_at
    FROM generate_series(1, $7::int) AS i JOIN qs ON qs.qn = (i - 1) % $4::int
  ),
  b AS MATERIALIZED (
    SELECT a.*, CASE WHEN mentioned THEN least(want_rank, cardinality(comps) + 1) END AS rank,
      CASE WHEN NOT mentioned THEN NULL WHEN r_sent < 0.45 THEN 'positive' WHEN r_sent < 0.85 THEN 'neutral' ELSE 'negative' END AS sentiment
    FROM a
  ),
  c AS MATERIALIZED (
    SELECT b.*, cz.*, tz.*
    FROM b
    CROSS JOIN LATERAL (
      SELECT CASE WHEN b.mentioned THEN b.comps[1:b.rank - 1] || '${BRAND}'::text || b.comps[b.rank:] ELSE b.comps END AS ranked
    ) rz
    CROSS JOIN LATERAL (
      SELECT jsonb_agg(jsonb_build_object('url', url, 'title', initcap(split_part(d, '.', 1)) || ': ' || slug, 'domain', host, 'position', k) ORDER BY k) AS citations,
        jsonb_agg(jsonb_build_object('position', k, 'url', url, 'host', host, 'domain', d, 'own', d = '${OWN_DOMAIN}', 'competitor', comp) ORDER BY k) AS analyzed,
        array_agg(d ORDER BY k) FILTER (WHERE fst) AS domains,
        count(*) FILTER (WHERE d = '${OWN_DOMAIN}')::int AS own_n,
        min(k) FILTER (WHERE d = '${OWN_DOMAIN}') AS first_own,
        coalesce(array_agg(comp ORDER BY k) FILTER (WHERE fst AND comp IS NOT NULL), '{}') AS comps_cited
      FROM (
        SELECT k, d, comp, host, slug, 'https://' || host || '/' || slug || '-' || b.i || '-' || k AS url, row_number() OVER (PARTITION BY d ORDER BY k) = 1 AS fst
        FROM (
          SELECT k, ($10::text[])[j] AS d, nullif(($11::text[])[j], '') AS comp, CASE WHEN j % 2 = 0 THEN 'www.' ELSE '' END || ($10::text[])[j] AS host,
            (ARRAY['best-crm-software', 'crm-for-agencies', 'reviews', 'pricing', 'compare', 'blog/choosing-a-crm', 'r/sales/comments/crm'])[1 + (k + j) % 7] AS slug
          FROM (SELECT k, 1 + floor(random() * cardinality($10::text[]))::int AS j FROM generate_series(1, b.nc) AS k) x0
        ) x1
      ) x
    ) cz
    CROSS JOIN LATERAL (
      SELECT rz.ranked,
        '## ' || (b.q #>> '{topic,title}') || E'\\n\\n'
        || 'For ' || lower(b.q #>> '{topic,title}') || ', a ' || lower(b.q #>> '{persona,role}') || ' in ' || (b.q #>> '{persona,domain}') || ' usually compares a few CRM platforms.' || E'\\n\\n'
        || CASE WHEN cardinality(rz.ranked) > 0
             THEN E'**Options most often recommended:**\\n\\n'
               || (SELECT string_agg(o || '. **' || n || '** – ' || ($5::text[])[1 + floor(random() * cardinality($5::text[]))::int], E'\\n' ORDER BY o) FROM unnest(rz.ranked) WITH ORDINALITY AS t(n, o))
               || E'\\n\\n'
             ELSE E'No single vendor stands out for this use case.\\n\\n' END
        || CASE b.sentiment WHEN 'positive' THEN '${BRAND} is widely praised for its reliable pipeline reporting and fair pricing. '
             WHEN 'neutral' THEN '${BRAND} is a standard option with the usual contact and deal tracking. '
             WHEN 'negative' THEN '${BRAND} is often criticised for slow support and expensive add-ons. ' ELSE '' END
        || left((SELECT string_agg(($5::text[])[1 + floor(random() * cardinality($5::text[]))::int],
                   CASE WHEN random() < 0.2 THEN E'\\n\\n' WHEN random() < 0.06 THEN ' "Easy to set up, hard to leave," one reviewer wrote. ' ELSE ' ' END)
                 FROM generate_series(1, b.len / 90 + 1)), greatest(b.len - 700, 300))
        || E'\\n\\n**Sources:** ' || (SELECT string_agg('[' || k || ']', ' ') FROM generate_series(1, b.nc) AS k) AS text
    ) tz
  ),
  d AS (
    SELECT c.*, length(text) / 4 AS output_tokens,
      (ARRAY['${PROVIDERS.map((x) => x.provider).join("','")}'])[p + 1] AS provider,
      (ARRAY['${PROVIDERS.map((x) => x.model).join("','")}'])[p + 1] AS model,
      (ARRAY['${PROVIDERS.map((x) => x.served).join("','")}'])[p + 1] AS served,
      (ARRAY['${PROVIDERS.map((x) => x.path).join("','")}'])[p + 1] AS path,
      md5($1::uuid::text || i) AS idempotency_key
    FROM c
  ),
  e AS (
    SELECT d.*,
      round(((input_tokens * 0.25 + output_tokens * 2.0) / 1e6 + CASE WHEN p = 2 THEN 0.005 ELSE 0 END)::numeric, 8) AS cost,
      jsonb_build_object('input_tokens', input_tokens, 'output_tokens', output_tokens, 'total_tokens', input_tokens + output_tokens) AS usage,
      jsonb_build_array(lower(q #>> '{topic,title}') || ' best crm', 'crm for agencies ' || (q #>> '{persona,name}'), 'crm comparison ${new Date().getFullYear()}') AS search_queries,
      jsonb_build_object('path', path, 'body', jsonb_build_object('model', model, 'input', jsonb_build_array(
        jsonb_build_object('role', 'system', 'content', '${SYSTEM_PROMPT}'), jsonb_build_object('role', 'user', 'content', q ->> 'text')),
        'tools', '[{"type":"web_search"}]'::jsonb)) AS request,
      jsonb_build_object('id', 'resp_' || md5(item_id::text), 'model', served, 'status', 'completed',
        'output', jsonb_build_array(jsonb_build_object('type', 'message', 'role', 'assistant', 'content', jsonb_build_array(
          jsonb_build_object('type', 'output_text', 'text', text, 'annotations', citations)))),
        'usage', jsonb_build_object('input_tokens', input_tokens, 'output_tokens', output_tokens)) AS response,
      jsonb_build_object('sources', '[]'::jsonb, 'finish_reason', 'stop', 'cost_source', 'price_table', 'price_table_version', '2025-10', 'requested_model', model) AS details,
      jsonb_build_object('version', '${ANALYSIS_VERSION}', 'config_key', $6::text, 'brand_mentioned', mentioned, 'brand_rank', rank, 'top3', coalesce(rank <= 3, false),
        'brand_mentions', CASE WHEN mentioned THEN 1 + i % 3 ELSE 0 END, 'brand_not_known', false, 'sentiment', sentiment,
        'sentiment_score', CASE sentiment WHEN 'positive' THEN round((0.3 + random() * 0.6)::numeric, 3) WHEN 'neutral' THEN round((random() * 0.2 - 0.1)::numeric, 3)
          WHEN 'negative' THEN round((-0.3 - random() * 0.6)::numeric, 3) END,
        'competitors_mentioned', to_jsonb(comps), 'competitors_not_known', '[]'::jsonb,
        'mentions', (SELECT coalesce(jsonb_agg(jsonb_build_object('name', n, 'is_brand', n = '${BRAND}', 'rank', o, 'count', 1 + (o + i) % 3) ORDER BY o), '[]'::jsonb)
                     FROM unnest(ranked) WITH ORDINALITY AS t(n, o)),
        'citations', analyzed, 'citation_count', nc, 'own_citation_count', own_n, 'first_own_citation_position', first_own,
        'cited_domains', to_jsonb(domains), 'own_domain_cited', own_n > 0, 'competitors_cited', to_jsonb(comps_cited),
        'position_adjusted_word_count', CASE WHEN own_n > 0 THEN round((0.05 + random() * 0.3)::numeric, 4) ELSE 0 END) AS analysis
    FROM d
  )`;


interface SeededRun {
  id: string;
  items: number;
}

/** The run's row (full) or its events (compat): a completed run of `items` items. */
async function insertRun(mode: Mode, s: string, campaignId: string, runId: string, items: number, end: Date, questions: number): Promise<void> {
  const settings = PROVIDERS.map((x) => ({ provider: x.provider, model: x.model, settings: {} }));
  const started = new Date(end.getTime() - 3_600_000);
  if (mode === 'full') {
    await sql(
      `INSERT INTO ${s}.runs (id, campaign_id, label, provider_settings, samples, prompt_version, filters, status, total_items, created_at, started_at, finished_at)
       VALUES ($1, $2, $3, $4, $5, 'v1', '{"topicIds":[],"personaIds":[]}', 'completed', $6, $7, $7, $8)`,
      [runId, campaignId, `bench export ${items}`, JSON.stringify(settings), Math.ceil(items / (3 * questions)), items, started.toISOString(), end.toISOString()],
    );
    return;
  }
  const run = {
    id: runId,
    campaignId,
    label: `bench export ${items}`,
    providerSettings: settings,
    samples: Math.ceil(items / (3 * questions)),
    promptVersion: 'v1',
    filters: { topicIds: [], personaIds: [] },
    status: 'completed',
    totalItems: items,
    scheduleId: null,
    createdAt: started.toISOString(),
    updatedAt: end.toISOString(),
    startedAt: started.toISOString(),
    finishedAt: end.toISOString(),
  };
  await sql(`INSERT INTO ${s}.events (id, entity_type, entity_id, parent_id, event_type, payload) VALUES (gen_random_uuid(), 'run', $1, $2, 'created', $3)`, [
    runId,
    campaignId,
    JSON.stringify({ ...run, status: 'running', finishedAt: null }),
  ]);
  await sql(`INSERT INTO ${s}.events (id, entity_type, entity_id, parent_id, event_type, payload) VALUES (gen_random_uuid(), 'run', $1, $2, 'status_changed', $3)`, [
    runId,
    campaignId,
    JSON.stringify(run),
  ]);
}

/** Seeds run number 1 with N answered items. */
async function seedRun(mode: Mode, schema: string, campaignId: string, runId: string, key: string, end: Date, questions: unknown[], corpus: string[]): Promise<void> {
  const s = `"${schema}"`;
  const k = 1;
  await insertRun(mode, s, campaignId, runId, N, end, questions.length);
  const params = [runId, campaignId, JSON.stringify(questions), questions.length, corpus, key, N, k, COMPETITORS.map((c) => c.name), DOMAINS, DOMAIN_COMPETITOR, end.toISOString()];
  const started = new Date(end.getTime() - 3_600_000);
  if (mode === 'full') {
    await sql(
      `INSERT INTO ${s}.run_items (id, run_id, question_id, provider, model, setting_index, sample_index, idempotency_key, status, attempt_count, created_at, updated_at, started_at, finished_at)
       SELECT ${itemId('$7')}, $1::uuid, (($2::jsonb -> ((i - 1) % $3::int)) ->> 'id')::uuid, (ARRAY['${PROVIDERS.map((x) => x.provider).join("','")}'])[((i - 1) / $3::int) % 3 + 1],
              (ARRAY['${PROVIDERS.map((x) => x.model).join("','")}'])[((i - 1) / $3::int) % 3 + 1], ((i - 1) / $3::int) % 3, (i - 1) / ($3::int * 3),
              md5($1::uuid::text || i), 'succeeded', 1, $5::timestamptz, $6::timestamptz, $5::timestamptz, $6::timestamptz - (i % 3000) * interval '1 second'
       FROM generate_series(1, $4::int) AS i`,
      [runId, JSON.stringify(questions), questions.length, N, started.toISOString(), end.toISOString(), k],
    );
    await sql(
      `WITH ${ANSWERS}
       INSERT INTO ${s}.responses (id, run_item_id, run_id, provider, model, served_model, prompt_version, prompt_hash, request_json, response_json, text, text_search,
         citations_json, search_queries, details, token_usage_json, input_tokens, output_tokens, cost_usd, latency_ms, analysis, cache_hit,
         brand_mentioned, brand_rank, sentiment, analysis_key, own_domain_cited, citation_count, own_citation_count, competitors_mentioned, cited_domains, created_at)
       SELECT gen_random_uuid(), item_id, $1::uuid, provider, model, served, 'v1', md5(q ->> 'text'), request, response, text, to_tsvector('simple'::regconfig, text),
         citations, search_queries, details, usage, input_tokens, output_tokens, cost, latency_ms, analysis, false,
         mentioned, rank, sentiment, $6::text, own_n > 0, nc, own_n, comps, domains, finished_at
       FROM e`,
      params,
    );
    return;
  }
  await sql(
    `WITH ${ANSWERS}
     INSERT INTO ${s}.results (id, run_item_id, run_id, campaign_id, provider, model, status, created_at, updated_at, finished_at, cost_usd, cache_hit, last_error, text_search,
       input_tokens, output_tokens, latency_ms, topic_id, persona_id,
       brand_mentioned, brand_rank, sentiment, analysis_key, own_domain_cited, citation_count, own_citation_count, competitors_mentioned, cited_domains, payload)
     SELECT item_id, item_id, $1::uuid, $2::uuid, provider, model, 'succeeded', $12::timestamptz - interval '1 hour', finished_at, finished_at, cost, false, NULL,
       to_tsvector('simple'::regconfig, text), input_tokens, output_tokens, latency_ms, (q #>> '{topic,id}')::uuid, (q #>> '{persona,id}')::uuid,
       mentioned, rank, sentiment, $6::text, own_n > 0, nc, own_n, comps, domains,
       jsonb_build_object('id', item_id, 'runId', $1::uuid, 'campaignId', $2::uuid, 'questionId', q ->> 'id', 'provider', provider, 'model', model,
         'settingIndex', p, 'sampleIndex', s, 'idempotencyKey', idempotency_key, 'questionText', q ->> 'text', 'topic', q -> 'topic', 'persona', q -> 'persona',
         'attemptCount', 1, 'lastError', NULL, 'createdAt', ${iso(`$12::timestamptz - interval '1 hour'`)}, 'updatedAt', ${iso('finished_at')},
         'startedAt', ${iso(`finished_at - latency_ms * interval '1 millisecond'`)}, 'finishedAt', ${iso('finished_at')},
         'response', jsonb_build_object('text', text, 'citations', citations, 'search_queries', search_queries, 'usage', usage, 'latency_ms', latency_ms, 'cost_usd', cost,
           'served_model', served, 'prompt_version', 'v1', 'prompt_hash', md5(q ->> 'text'), 'cache_hit', false, 'details', details,
           'raw_request', request, 'raw_response', response, 'created_at', ${iso('finished_at')}),
         'analysis', analysis)
     FROM e`,
    params,
  );
}

async function columns(schema: string, table: string): Promise<string[]> {
  const rows = await sql<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`, [schema, table]);
  return rows.map((r) => r.column_name);
}

/** Run number k: a copy of the first `items` items of run 1 (same answers, new ids). */
async function copyRun(mode: Mode, schema: string, campaignId: string, from: string, runId: string, k: number, items: number, end: Date, questions: number): Promise<void> {
  const s = `"${schema}"`;
  await insertRun(mode, s, campaignId, runId, items, end, questions);
  const pick = (table: string, col: string): string => `${col} IN (SELECT ${col} FROM ${s}.${table} WHERE run_id = $1 ORDER BY ${col} LIMIT $3)`;
  if (mode === 'full') {
    const ic = await columns(schema, 'run_items');
    const iv = ic.map((c) => (c === 'id' ? copiedId('id', '$4') : c === 'run_id' ? '$2::uuid' : c === 'idempotency_key' ? 'md5($2::uuid::text || id::text)' : `"${c}"`));
    await sql(`INSERT INTO ${s}.run_items (${ic.map((c) => `"${c}"`).join(', ')}) SELECT ${iv.join(', ')} FROM ${s}.run_items WHERE run_id = $1 AND ${pick('run_items', 'id')}`, [from, runId, items, k]);
    const rc = await columns(schema, 'responses');
    const rv = rc.map((c) => (c === 'id' ? 'gen_random_uuid()' : c === 'run_item_id' ? copiedId('run_item_id', '$4') : c === 'run_id' ? '$2::uuid' : `"${c}"`));
    await sql(`INSERT INTO ${s}.responses (${rc.map((c) => `"${c}"`).join(', ')}) SELECT ${rv.join(', ')} FROM ${s}.responses WHERE run_id = $1 AND ${pick('responses', 'run_item_id')}`, [
      from,
      runId,
      items,
      k,
    ]);
    return;
  }
  const cc = (await columns(schema, 'results')).filter((c) => c !== 'seq');
  const cv = cc.map((c) =>
    c === 'id' || c === 'run_item_id'
      ? copiedId(c, '$4')
      : c === 'run_id'
        ? '$2::uuid'
        : c === 'payload'
          ? `payload || jsonb_build_object('id', ${copiedId('run_item_id', '$4')}, 'runId', $2::uuid, 'idempotencyKey', md5($2::uuid::text || run_item_id::text))`
          : `"${c}"`,
  );
  await sql(`INSERT INTO ${s}.results (${cc.map((c) => `"${c}"`).join(', ')}) SELECT ${cv.join(', ')} FROM ${s}.results WHERE run_id = $1 AND ${pick('results', 'run_item_id')}`, [from, runId, items, k]);
}

// ---------------------------------------------------------------------------------------------
// measuring

/** The export source repository's statement for a run (src/exports/export-source-*.repository.ts, raw=false). */
function sourceSql(mode: Mode, schema: string): string {
  const s = `"${schema}"`;
  return mode === 'full'
    ? `SELECT ri.id, ri.run_id, ri.question_id, ri.provider, ri.model, ri.sample_index, ri.status, ri.attempt_count, ri.last_error,
        ri.created_at, ri.finished_at, q.text AS question_text, q.topic_id, q.persona_id, t.title AS topic_title, p.name AS persona_name,
        r.id AS response_id, r.text, r.citations_json, r.input_tokens, r.output_tokens, r.latency_ms, r.cost_usd, r.served_model, r.cache_hit,
        r.analysis, r.created_at AS answered_at
      FROM ${s}."run_items" ri JOIN ${s}."questions" q ON q.id = ri.question_id
        LEFT JOIN ${s}."topics" t ON t.id = q.topic_id LEFT JOIN ${s}."personas" p ON p.id = q.persona_id
        LEFT JOIN ${s}."responses" r ON r.run_item_id = ri.id
      WHERE ri.run_id = $1 ORDER BY ri.id`
    : `SELECT run_item_id, run_id, provider, model, status, payload FROM ${s}."results" WHERE run_id = $1 ORDER BY run_item_id`;
}

/** The floor: the same statement through pg-cursor, 500 rows a read, rows counted and dropped (the driver still parses json columns, as in the API). */
async function cursorFloor(mode: Mode, schema: string, run: SeededRun): Promise<{ rows: number; ms: number; rows_per_s: number; load_avg: number[]; cores: Record<string, number> }> {
  const load_avg = load();
  const client = new Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    const backend = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const pg0 = cpuSeconds(backend);
    const c0 = process.cpuUsage();
    const m0 = machineTicks();
    const t0 = performance.now();
    const cursor = (client as unknown as { query: (c: unknown) => InstanceType<typeof Cursor> }).query(new Cursor(sourceSql(mode, schema), [run.id]));
    let rows = 0;
    for (;;) {
      const batch = await cursor.read(500);
      if (batch.length === 0) break;
      rows += batch.length;
    }
    await cursor.close();
    const ms = performance.now() - t0;
    if (rows !== run.items) throw new Error(`cursor read ${rows} rows, expected ${run.items}`);
    const sec = ms / 1000;
    const cu = process.cpuUsage(c0);
    const m1 = machineTicks();
    const pgS = cpuSeconds(backend) - pg0;
    const readerS = (cu.user + cu.system) / 1e6;
    const cores = {
      postgres_backend: round(pgS / sec, 2),
      reader: round(readerS / sec, 2),
      machine: round(((m1.busy - m0.busy) / Math.max(1, m1.total - m0.total)) * availableParallelism(), 2),
      postgres_us_per_row: round((pgS * 1e6) / rows, 0),
      reader_us_per_row: round((readerS * 1e6) / rows, 0),
      idle_machine_ceiling_rows_per_s: Math.round(Math.min(rows / Math.max(pgS, readerS), (availableParallelism() * rows) / (pgS + readerS))),
    };
    return { rows, ms: Math.round(ms), rows_per_s: Math.round(rows / sec), load_avg, cores };
  } finally {
    await client.end();
  }
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Total Time'?: number;
  'Sort Method'?: string;
  'Sort Space Used'?: number;
  'Sort Space Type'?: string;
  Plans?: PlanNode[];
}

async function explainSource(mode: Mode, schema: string, runId: string): Promise<Record<string, unknown>> {
  const [row] = await sql<{ 'QUERY PLAN': [{ Plan: PlanNode; 'Execution Time': number; 'Planning Time': number }] }>(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sourceSql(mode, schema)}`, [runId]);
  const plan = row['QUERY PLAN'][0];
  const nodes: string[] = [];
  const walk = (n: PlanNode, depth: number): void => {
    nodes.push(
      `${'  '.repeat(depth)}${n['Node Type']}${n['Relation Name'] ? ` on ${n['Relation Name']}` : ''}${n['Index Name'] ? ` using ${n['Index Name']}` : ''}` +
        `${n['Sort Method'] ? ` (${n['Sort Method']}, ${n['Sort Space Used']} kB ${n['Sort Space Type']})` : ''} ${round(n['Actual Total Time'] ?? 0, 0)} ms`,
    );
    for (const c of n.Plans ?? []) walk(c, depth + 1);
  };
  walk(plan.Plan, 0);
  return { execution_ms: round(plan['Execution Time'], 0), planning_ms: round(plan['Planning Time'], 1), plan: nodes };
}

interface Downloaded {
  status: number;
  bytes: number;
  ttfb_ms: number;
  ms: number;
  lines: number;
  crlf: number;
  tail: Buffer;
  head: string;
  complete: boolean;
}

/** Downloads a URL, counting bytes (and line ends) and keeping nothing but the first and last few; `bytesPerS` throttles the client (it pauses the socket), `abortAfter` hangs up after that many bytes. */
function download(url: string, opts: { bytesPerS?: number; abortAfter?: number } = {}): Promise<Downloaded> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = httpGet(url, { headers: { 'X-API-Key': API_KEY }, agent: false }, (res) => {
      const ttfb = performance.now() - t0;
      let bytes = 0;
      let lines = 0;
      let crlf = 0;
      let head = '';
      let tail = Buffer.alloc(0);
      let lastCr = false;
      res.on('data', (chunk: Buffer) => {
        if (head.length < 400) head += chunk.subarray(0, 400).toString('latin1');
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) {
          lines++;
          if (i > 0 ? chunk[i - 1] === 13 : lastCr) crlf++;
        }
        lastCr = chunk[chunk.length - 1] === 13;
        tail = Buffer.concat([tail, chunk.subarray(Math.max(0, chunk.length - 128))]).subarray(-128);
        if (opts.abortAfter !== undefined && bytes >= opts.abortAfter) {
          req.destroy();
          finish(false, ' [aborted by the client]');
        } else if (opts.bytesPerS) {
          const ahead = (bytes / opts.bytesPerS) * 1000 - (performance.now() - t0);
          if (ahead > 0) {
            res.pause();
            setTimeout(() => res.resume(), ahead);
          }
        }
      });
      let done = false;
      const finish = (complete: boolean, note = ''): void => {
        if (done) return;
        done = true;
        resolve({ status: res.statusCode ?? 0, bytes, ttfb_ms: round(ttfb, 0), ms: performance.now() - t0, lines, crlf, tail, head: head + note, complete });
      };
      res.on('end', () => finish(res.complete));
      res.on('error', (err) => finish(false, ` [${err.message}]`));
      res.on('close', () => finish(false, ' [closed before its end]'));
    });
    req.on('error', reject);
  });
}

/** Whether a download is the whole file: HTTP 200, not cut, and the format's own check (row count, zip end record). */
function check(format: Format, d: Downloaded, rows: number): string | null {
  if (d.status !== 200) return `HTTP ${d.status}: ${d.head.slice(0, 300)}`;
  if (!d.complete) return 'the download was cut';
  if (format === 'jsonl' && d.lines !== rows) return `${d.lines} JSON lines, expected ${rows}`;
  // Answers hold bare \n; csv-stringify ends each record (and the header) with \r\n.
  if (format === 'csv' && d.crlf !== rows + 1) return `${d.crlf} CSV records, expected ${rows + 1} with the header`;
  if (format === 'xlsx' && (d.head.slice(0, 2) !== 'PK' || d.tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06])) === -1)) return 'not a whole zip file';
  return null;
}


interface Measured {
  mode: Mode;
  format: Format;
  rows: number;
  attempt: number;
  load_avg: number[];
  ttfb_ms: number;
  ms: number;
  rows_per_s: number;
  mib: number;
  mib_per_s: number;
  api_rss_idle_mib: number;
  api_rss_peak_mib: number;
  api_rss_growth_mib: number;
  api_vmhwm_mib: number;
  api_rss_deciles_mib: number[];
  cpu_cores: CpuSplit['cores'];
  cpu_per_row: ReturnType<typeof perRow>;
}

async function measureDownload(mode: Mode, schema: string, env: Record<string, string>, format: Format, run: SeededRun, warm: SeededRun, attempt: number): Promise<Measured> {
  const label = `export-${mode}-${format}-${run.items}-${attempt}`;
  const proc = await spawnProc('main', { ...env, DB_STATEMENT_TIMEOUT_MS: STATEMENT_TIMEOUT_MS }, label);
  try {
    const url = (r: SeededRun): string => `${proc.url}/api/v1/runs/${r.id}/results:download?format=${format}`;
    const w = await download(url(warm));
    const wErr = check(format, w, warm.items);
    if (wErr) throw new Error(`warm-up ${format} download: ${wErr}`);
    await sleep(1000);
    const load_avg = load();
    const idle = procStatus(proc.pid, 'VmRSS');
    const sampler = rssSampler(proc.pid);
    const watch = cpuWatch(proc.pid, schema);
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    const d = await download(url(run));
    const toUs = Number(process.hrtime.bigint() / 1000n);
    const rss = sampler.stop();
    const cpu = await watch.stop();
    const err = check(format, d, run.items);
    if (err) {
      await sleep(200);
      throw new Error(`${format} download of ${run.items} rows after ${Math.round(d.ms)} ms, ${d.bytes} bytes: ${err}; the API said: ${proc.output().slice(-1500)}`);
    }
    const s = d.ms / 1000;
    const m: Measured = {
      mode,
      format,
      rows: run.items,
      attempt,
      load_avg,
      ttfb_ms: d.ttfb_ms,
      ms: Math.round(d.ms),
      rows_per_s: Math.round(run.items / s),
      mib: round(d.bytes / 1048576, 1),
      mib_per_s: round(d.bytes / 1048576 / s, 1),
      api_rss_idle_mib: Math.round(idle),
      api_rss_peak_mib: Math.round(rss.peak),
      api_rss_growth_mib: Math.round(rss.peak - idle),
      api_vmhwm_mib: Math.round(procStatus(proc.pid, 'VmHWM')),
      api_rss_deciles_mib: deciles(rss.timeline),
      cpu_cores: cpu.cores,
      cpu_per_row: perRow(cpu, run.items),
    };
    emit({ step: 'download', ...m, target_rows_per_s: TARGET_ROWS_S[format], meets_rows_per_s: m.rows_per_s >= TARGET_ROWS_S[format], meets_rss: m.api_rss_peak_mib <= TARGET_RSS_MIB });
    await stopProc(proc);
    if (CPU_PROF) {
      const file = join(CPU_PROF, `${label}.cpuprofile`);
      if (existsSync(file)) emit({ step: 'cpu_profile', mode, format, rows: run.items, file, ...summarizeProfile(file, fromUs, toUs) });
    }
    return m;
  } finally {
    await stopProc(proc);
  }
}

/** POST /exports (CSV), a worker writing the file: time until the job says succeeded, the worker's RSS. */
async function measureJob(mode: Mode, schema: string, env: Record<string, string>, run: SeededRun): Promise<Record<string, unknown>> {
  const exportDir = join(ROOT, '.local', `bench-export-files-${schema}`);
  const jobEnv = { ...env, EXPORT_DIR: exportDir, DB_STATEMENT_TIMEOUT_MS: STATEMENT_TIMEOUT_MS };
  const apiProc = await spawnProc('main', jobEnv);
  const worker = await spawnProc('worker', jobEnv);
  try {
    await sleep(1000);
    const load_avg = load();
    const idle = procStatus(worker.pid, 'VmRSS');
    const sampler = rssSampler(worker.pid);
    const watch = cpuWatch(worker.pid, schema);
    const t0 = performance.now();
    const job = await api<{ id: string }>(`${apiProc.url}/api/v1/exports`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ run_id: run.id, format: 'csv' }) });
    let dto: { status: string; row_count: number | null; size_bytes: number | null; error: string | null };
    for (;;) {
      dto = await api(`${apiProc.url}/api/v1/exports/${job.id}`);
      if (dto.status === 'succeeded' || dto.status === 'failed') break;
      if (performance.now() - t0 > 600_000) throw new Error(`export job ${job.id} still ${dto.status} after 10 minutes`);
      await sleep(50);
    }
    const ms = performance.now() - t0;
    const rss = sampler.stop();
    const cpu = await watch.stop();
    if (dto.status !== 'succeeded' || dto.row_count !== run.items) throw new Error(`export job ${job.id}: ${dto.status}, ${dto.row_count} rows, ${dto.error}`);
    const file = await download(`${apiProc.url}/api/v1/exports/${job.id}/file`);
    const fileErr = check('csv', file, run.items);
    if (fileErr) throw new Error(`export job file: ${fileErr}`);
    const out = {
      step: 'export_job',
      mode,
      format: 'csv',
      rows: run.items,
      load_avg,
      ms: Math.round(ms),
      rows_per_s: Math.round(run.items / (ms / 1000)),
      mib: round((dto.size_bytes ?? 0) / 1048576, 1),
      worker_rss_idle_mib: Math.round(idle),
      worker_rss_peak_mib: Math.round(rss.peak),
      worker_rss_growth_mib: Math.round(rss.peak - idle),
      worker_rss_deciles_mib: deciles(rss.timeline),
      cpu_cores: cpu.cores,
      cpu_per_row: perRow(cpu, run.items),
      file_download_ms: Math.round(file.ms),
    };
    emit(out);
    return out;
  } finally {
    await stopProc(worker);
    await stopProc(apiProc);
    rmSync(exportDir, { recursive: true, force: true });
  }
}

/**
 * Two behaviours of the download path, with the app's own settings: a client that reads the largest
 * CSV at 2 MB/s (≈ 16 Mbit/s), which keeps the cursor open longer than DB_STATEMENT_TIMEOUT_MS
 * (60 s by default); and a client that hangs up after 1 MB of XLSX, then what the API process and
 * Postgres still spend on that export over the next 5 s.
 */
async function behaviourChecks(mode: Mode, schema: string, env: Record<string, string>, big: SeededRun, small: SeededRun): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const proc = await spawnProc('main', env);
  try {
    const base = `${proc.url}/api/v1/runs`;
    const slow = await download(`${base}/${big.id}/results:download?format=csv`, { bytesPerS: SLOW_CLIENT_BYTES_PER_S });
    await sleep(300);
    const said = proc
      .output()
      .split('\n')
      .filter((l) => /failed while streaming/.test(l))
      .map((l) => (JSON.parse(l) as { err?: string }).err);
    out.slow_client = {
      rows: big.items,
      client_bytes_per_s: SLOW_CLIENT_BYTES_PER_S,
      statement_timeout_ms: Number(process.env.DB_STATEMENT_TIMEOUT_MS ?? 60_000),
      complete: slow.complete && check('csv', slow, big.items) === null,
      mib_received: round(slow.bytes / 1048576, 1),
      ms: Math.round(slow.ms),
      api_error: said[said.length - 1] ?? null,
    };
    emit({ step: 'check_slow_client', mode, format: 'csv', ...(out.slow_client as object) });
    // CSV first: an XLSX export that goes on alone would take CPU from the next check.
    for (const format of ['csv', 'xlsx'] as Format[]) {
      const cut = await download(`${base}/${small.id}/results:download?format=${format}`, { abortAfter: 1_000_000 });
      const c0 = cpuSeconds(proc.pid);
      const db = new Client({ connectionString: process.env.DATABASE_URL });
      await db.connect();
      const after: { s: number; api_cpu_s: number; export_statements_running: number }[] = [];
      try {
        for (let i = 1; i <= 5; i++) {
          await sleep(1000);
          const [r] = (
            await db.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND state <> 'idle' AND position($1 in query) > 0
                 AND (query LIKE 'SELECT ri.id, ri.run_id%' OR query LIKE 'SELECT run_item_id, run_id, provider%')`,
              [`"${schema}".`],
            )
          ).rows;
          after.push({ s: i, api_cpu_s: round(cpuSeconds(proc.pid) - c0, 2), export_statements_running: r.n });
        }
      } finally {
        await db.end();
      }
      const result = { format, rows: small.items, aborted_after_bytes: cut.bytes, after_ms: Math.round(cut.ms), api_cpu_s_in_5s_after: after[after.length - 1].api_cpu_s, statement_still_running_5s_after: after[after.length - 1].export_statements_running > 0, after };
      out[`client_abort_${format}`] = result;
      emit({ step: 'check_client_abort', mode, ...result });
    }
  } finally {
    await stopProc(proc);
  }
  return out;
}

/** The runs of a kept schema (BENCH_KEEP_SCHEMA), by size, if it holds every size this bench needs. */
async function keptRuns(mode: Mode, schema: string): Promise<Map<number, SeededRun> | null> {
  const [exists] = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM information_schema.schemata WHERE schema_name = $1`, [schema]);
  if (!exists.n) return null;
  const rows = await sql<{ id: string; items: number }>(
    mode === 'full'
      ? `SELECT id::text, total_items AS items FROM "${schema}".runs WHERE label LIKE 'bench export %'`
      : `SELECT entity_id::text AS id, (payload ->> 'totalItems')::int AS items FROM "${schema}".events WHERE entity_type = 'run' AND event_type = 'created' AND payload ->> 'label' LIKE 'bench export %'`,
  );
  const runs = new Map(rows.map((r) => [r.items, { id: r.id, items: r.items }]));
  return [...SIZES, WARM_N].every((n) => runs.has(n)) ? runs : null;
}

/** Imports the campaign, seeds the largest run and copies the smaller ones; answers the runs by size. */
async function prepare(mode: Mode, schema: string, env: Record<string, string>, corpus: string[], out: Record<string, unknown>): Promise<Map<number, SeededRun>> {
  if (process.env.BENCH_KEEP_SCHEMA) {
    const kept = await keptRuns(mode, schema);
    if (kept) {
      emit({ step: 'seed', mode, reused_schema: schema, runs: [...kept.keys()] });
      return kept;
    }
    await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  }
  if (mode === 'compat') await sql(compatSql({ schema, useJsonb: true }));
  // Migrations (full mode) and the campaign through the API; then the runs straight into Postgres.
  const setup = await spawnProc('main', { ...env, DB_APPLY_MIGRATIONS: mode === 'full' ? 'true' : 'false' });
  let campaign: CampaignDto;
  let questions: unknown[];
  try {
    ({ campaign, questions } = await importCampaign(`${setup.url}/api/v1`, 'Bench export'));
  } finally {
    await stopProc(setup);
  }
  const tracked = trackedBrands({ name: campaign.name, productName: campaign.product_name, brandAliases: campaign.brand_aliases, brandDomains: campaign.brand_domains, competitors: campaign.competitors });
  const key = analysisConfigKey(tracked.brand, tracked.competitors);
  const end = new Date(Date.now() - 60_000);
  const t0 = performance.now();
  const big: SeededRun = { id: randomUUID(), items: N };
  await seedRun(mode, schema, campaign.id, big.id, key, end, questions, corpus);
  const seedMs = performance.now() - t0;
  const runs = new Map<number, SeededRun>([[N, big]]);
  let k = 2;
  for (const n of [...SIZES.slice(0, -1), WARM_N]) {
    if (runs.has(n)) continue;
    const r: SeededRun = { id: randomUUID(), items: n };
    await copyRun(mode, schema, campaign.id, big.id, r.id, k++, n, end, questions.length);
    runs.set(n, r);
  }
  const t1 = performance.now();
  for (const t of mode === 'full' ? ['run_items', 'responses', 'runs', 'questions'] : ['results', 'events']) await sql(`VACUUM ANALYZE "${schema}"."${t}"`);
  const table = mode === 'full' ? 'responses' : 'results';
  const textExpr = mode === 'full' ? 'text' : `payload #>> '{response,text}'`;
  const citeExpr = mode === 'full' ? 'jsonb_array_length(citations_json)' : `jsonb_array_length(payload #> '{response,citations}')`;
  const [shape] = await sql<Record<string, string>>(
    `SELECT avg(octet_length(${textExpr}))::int AS avg_answer_bytes, min(octet_length(${textExpr})) AS min_answer_bytes, max(octet_length(${textExpr})) AS max_answer_bytes,
       avg(${citeExpr})::numeric(4,2) AS avg_citations, avg(pg_column_size(t.*))::int AS avg_row_bytes_stored,
       pg_size_pretty(pg_total_relation_size('"${schema}"."${table}"')) AS table_total
     FROM "${schema}"."${table}" t WHERE run_id = $1`,
    [big.id],
  );
  out.seed = { runs: [...runs.values()].map((r) => r.items), seed_ms: Math.round(seedMs), copy_ms: Math.round(t1 - t0 - seedMs), vacuum_analyze_ms: Math.round(performance.now() - t1), table, ...shape };
  emit({ step: 'seed', mode, ...(out.seed as object) });
  return runs;
}

async function measureMode(mode: Mode, corpus: string[]): Promise<Record<string, unknown>> {
  const schema = process.env.BENCH_KEEP_SCHEMA ? `bench_export_kept_${mode}` : `bench_export_${randomUUID().slice(0, 8)}`;
  const prefix = `bench-${schema}`;
  const env: Record<string, string> = { DB_SCHEMA: schema, QUEUE_PREFIX: prefix, DB_APPLY_MIGRATIONS: 'false', ...(mode === 'compat' ? { DB_COMPAT_MODE: 'true' } : {}) };
  const out: Record<string, unknown> = {};
  try {
    const runs = await prepare(mode, schema, env, corpus, out);
    const big = runs.get(N)!;

    // The floor: a bare cursor over the same statement.
    out.explain = await explainSource(mode, schema, big.id);
    emit({ step: 'explain', mode, rows: N, ...(out.explain as object) });
    const floor: Record<number, unknown> = {};
    for (const n of SIZES) {
      const times = [];
      for (let i = 0; i < 3; i++) times.push(await cursorFloor(mode, schema, runs.get(n)!));
      const best = times.reduce((a, b) => (b.rows_per_s > a.rows_per_s ? b : a));
      floor[n] = { rows_per_s: best.rows_per_s, ms: best.ms, median_rows_per_s: median(times.map((x) => x.rows_per_s)), load_avg: times[0].load_avg, cores: best.cores };
      emit({ step: 'cursor_floor', mode, rows: n, ...(floor[n] as object), each_rows_per_s: times.map((x) => x.rows_per_s) });
    }
    out.cursor_floor = floor;

    // The downloads: each format, each size, REPEAT fresh API processes.
    const downloads: Record<string, unknown> = {};
    for (const format of FORMATS) {
      for (const n of SIZES) {
        const ms: Measured[] = [];
        const failures: string[] = [];
        for (let a = 1; a <= REPEAT; a++) {
          try {
            ms.push(await measureDownload(mode, schema, env, format, runs.get(n)!, runs.get(WARM_N)!, a));
          } catch (err) {
            failures.push(err instanceof Error ? err.message : String(err));
            emit({ step: 'download', mode, format, rows: n, attempt: a, failed: true, error: failures[failures.length - 1] });
          }
        }
        if (!ms.length) {
          downloads[`${format}_${n}`] = { failed: failures };
          continue;
        }
        const best = ms.reduce((x, y) => (y.rows_per_s > x.rows_per_s ? y : x));
        const floorRate = (floor[n] as { rows_per_s: number }).rows_per_s;
        downloads[`${format}_${n}`] = {
          rows_per_s: best.rows_per_s,
          each_rows_per_s: ms.map((x) => x.rows_per_s),
          ms: best.ms,
          ttfb_ms: best.ttfb_ms,
          mib: best.mib,
          cpu_cores: best.cpu_cores,
          cpu_per_row: best.cpu_per_row,
          api_rss_idle_mib: Math.max(...ms.map((x) => x.api_rss_idle_mib)),
          api_rss_peak_mib: Math.max(...ms.map((x) => x.api_rss_peak_mib)),
          api_rss_growth_mib: Math.max(...ms.map((x) => x.api_rss_growth_mib)),
          api_vmhwm_mib: Math.max(...ms.map((x) => x.api_vmhwm_mib)),
          load_avg: ms.map((x) => x.load_avg[0]),
          vs_cursor_floor: round(floorRate / best.rows_per_s, 2),
          meets_rows_per_s: n < N ? undefined : best.rows_per_s >= TARGET_ROWS_S[format],
          failed: failures.length ? failures : undefined,
        };
      }
    }
    out.downloads = downloads;

    if (RUN_CHECKS) {
      try {
        out.checks = await behaviourChecks(mode, schema, env, big, runs.get(SIZES[0])!);
      } catch (err) {
        out.checks = { failed: err instanceof Error ? err.message : String(err) };
        emit({ step: 'checks', mode, failed: true, error: out.checks });
      }
    }
    if (RUN_JOB) {
      try {
        out.export_job = await measureJob(mode, schema, env, big);
      } catch (err) {
        out.export_job = { failed: err instanceof Error ? err.message : String(err) };
        emit({ step: 'export_job', mode, failed: true, error: out.export_job });
      }
    }
    return out;
  } finally {
    if (process.env.BENCH_KEEP_SCHEMA) emit({ kept_schema: schema });
    else await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await dropRedisPrefix(prefix);
  }
}

async function main(): Promise<void> {
  build();
  const corpus = sentences(600);
  const out: Record<string, unknown> = {};
  for (const mode of MODES) out[mode] = await measureMode(mode, corpus);
  emit({
    summary: true,
    api: API_BUILD,
    sizes: SIZES,
    formats: FORMATS,
    repeat: REPEAT,
    statement_timeout_ms_of_timed_downloads: Number(STATEMENT_TIMEOUT_MS),
    targets: { rows_per_s: TARGET_ROWS_S, peak_rss_mib: round(TARGET_RSS_MIB, 0) },
    load_avg_end: load(),
    ...out,
  });
}

const stopAll = async (): Promise<void> => {
  await Promise.all([...live].map((p) => stopProc(p)));
};

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    void stopAll().then(() => process.exit(130));
  });

main()
  .then(() => process.exit(0))
  .catch(async (err: unknown) => {
    console.error(err);
    await stopAll();
    process.exit(1);
  });
