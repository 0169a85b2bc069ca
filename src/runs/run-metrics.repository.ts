import type { StoredAnalysis } from './run-item.repository';

/** What metrics can be sliced by; `run` is the campaign view (one group per run). */
export type MetricsDimension = 'provider' | 'model' | 'topic' | 'persona' | 'run';

/** The columns of the answers' relation that each dimension groups by. */
export const DIMENSION_KEYS: Record<MetricsDimension, string[]> = {
  provider: ['provider'],
  model: ['provider', 'model'],
  topic: ['topic_id'],
  persona: ['persona_id'],
  run: ['run_id'],
};

/** The counts of one group of answers (a slice, or the whole when `key` is null). */
export interface MetricsCounts {
  key: Record<string, string | null> | null;
  answers: number;
  mentioned: number;
  avgRank: number | null;
  top3: number;
  positive: number;
  neutral: number;
  negative: number;
  ownCitedAnswers: number;
  citedAnswers: number;
  citations: number;
  ownCitations: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  latencyP50: number | null;
  latencyP95: number | null;
  /** Answers analysed with another analysis version or tracked-brand configuration than the current one. */
  stale: number;
}

export interface NamedCount {
  key: Record<string, string | null> | null;
  name: string;
  count: number;
}

export interface MetricsAggregate {
  groups: MetricsCounts[];
  /** Answers mentioning each competitor, per group. */
  competitors: NamedCount[];
  /** Answers citing each registrable domain, the top ones per group. */
  domains: NamedCount[];
}

/** An answer to analyse again. */
export interface StoredAnswer {
  runItemId: string;
  text: string;
  citations: { url: string; domain?: string | null; title?: string | null; position?: number; cited_text?: string }[];
}

/**
 * Reads what the metrics need, aggregated in SQL over the analysis' columns (not the JSON), and
 * writes re-computed analyses. The full-schema adapter reads `responses`, the compat one `results`.
 */
export abstract class RunMetricsRepository {
  /** Counts per group of `by` (and overall unless `by` is `run`) over the answers of the runs. */
  abstract aggregate(runIds: string[], by: MetricsDimension | null, currentKey: string, topDomains: number): Promise<MetricsAggregate>;
  /** Run items whose analysis was made with another key than `currentKey`. */
  abstract staleAnswerIds(runId: string, currentKey: string): Promise<string[]>;
  abstract answers(runItemIds: string[]): Promise<StoredAnswer[]>;
  /** Replaces the analysis of answers (JSON and columns); nothing else changes. */
  abstract saveAnalyses(rows: { runItemId: string; analysis: StoredAnalysis }[]): Promise<number>;
}

/**
 * The three aggregate statements over a relation `base` that both modes provide with the same
 * columns (run_id, provider, model, topic_id, persona_id, brand_mentioned, brand_rank, sentiment,
 * analysis_key, own_domain_cited, citation_count, own_citation_count, competitors_mentioned,
 * cited_domains, input_tokens, output_tokens, cost_usd, latency_ms). GROUPING SETS gives the
 * slices and the whole in one scan. Parameters: $1 run ids; then `groups` $2 the current analysis
 * key, `domains` $2 the number of top domains (see metricsParams).
 */
export function metricsStatements(base: string, by: MetricsDimension | null): { groups: string; competitors: string; domains: string } {
  const keys = by ? DIMENSION_KEYS[by] : [];
  const withOverall = by !== 'run';
  const sets = (extra: string[]): string => {
    const s: string[] = [];
    if (withOverall) s.push(`(${extra.join(', ')})`);
    if (keys.length) s.push(`(${[...keys, ...extra].join(', ')})`);
    return `GROUPING SETS (${s.join(', ')})`;
  };
  const keyCols = keys.length ? `${keys.map((k) => `${k}::text AS ${k}`).join(', ')}, GROUPING(${keys.join(', ')}) AS overall,` : '0 AS overall,';
  const groups = `WITH base AS (${base})
    SELECT ${keyCols}
      count(*)::int AS answers,
      count(*) FILTER (WHERE brand_mentioned)::int AS mentioned,
      (avg(brand_rank) FILTER (WHERE brand_mentioned))::float8 AS avg_rank,
      count(*) FILTER (WHERE brand_mentioned AND brand_rank <= 3)::int AS top3,
      count(*) FILTER (WHERE brand_mentioned AND sentiment = 'positive')::int AS positive,
      count(*) FILTER (WHERE brand_mentioned AND sentiment = 'neutral')::int AS neutral,
      count(*) FILTER (WHERE brand_mentioned AND sentiment = 'negative')::int AS negative,
      count(*) FILTER (WHERE own_domain_cited)::int AS own_cited_answers,
      count(*) FILTER (WHERE citation_count > 0)::int AS cited_answers,
      coalesce(sum(citation_count), 0)::int AS citations,
      coalesce(sum(own_citation_count), 0)::int AS own_citations,
      coalesce(sum(input_tokens), 0)::float8 AS input_tokens,
      coalesce(sum(output_tokens), 0)::float8 AS output_tokens,
      coalesce(sum(cost_usd), 0)::float8 AS cost_usd,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms)::float8 AS latency_p50,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms)::float8 AS latency_p95,
      count(*) FILTER (WHERE analysis_key IS DISTINCT FROM $2::text)::int AS stale
    FROM base GROUP BY ${withOverall || keys.length ? sets([]) : '()'}`;
  const competitors = `WITH base AS (${base})
    SELECT ${keyCols} name, count(*)::int AS n
    FROM base CROSS JOIN LATERAL unnest(competitors_mentioned) AS name
    GROUP BY ${sets(['name'])}`;
  const domains = `WITH base AS (${base})
    SELECT * FROM (
      SELECT *, row_number() OVER (PARTITION BY overall${keys.map((k) => `, ${k}`).join('')} ORDER BY n DESC, name) AS rn FROM (
        SELECT ${keyCols} name, count(*)::int AS n
        FROM base CROSS JOIN LATERAL unnest(cited_domains) AS name
        GROUP BY ${sets(['name'])}
      ) counted
    ) ranked WHERE rn <= $2::int`;
  return { groups, competitors, domains };
}

/** The parameters of each statement of metricsStatements (Postgres types every parameter a statement has). */
export function metricsParams(runIds: string[], currentKey: string, topDomains: number): { groups: unknown[]; competitors: unknown[]; domains: unknown[] } {
  return { groups: [runIds, currentKey], competitors: [runIds], domains: [runIds, topDomains] };
}

type Row = Record<string, unknown>;
const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function keyOf(row: Row, by: MetricsDimension | null): Record<string, string | null> | null {
  if (!by || Number(row.overall) !== 0) return null;
  const key: Record<string, string | null> = {};
  for (const k of DIMENSION_KEYS[by]) key[k] = row[k] === null || row[k] === undefined ? null : `${row[k] as string}`;
  return key;
}

/** Turns the rows of metricsStatements into counts (shared by both adapters). */
export function readAggregate(by: MetricsDimension | null, groups: Row[], competitors: Row[], domains: Row[]): MetricsAggregate {
  return {
    groups: groups.map((r) => ({
      key: keyOf(r, by),
      answers: num(r.answers),
      mentioned: num(r.mentioned),
      avgRank: numOrNull(r.avg_rank),
      top3: num(r.top3),
      positive: num(r.positive),
      neutral: num(r.neutral),
      negative: num(r.negative),
      ownCitedAnswers: num(r.own_cited_answers),
      citedAnswers: num(r.cited_answers),
      citations: num(r.citations),
      ownCitations: num(r.own_citations),
      inputTokens: num(r.input_tokens),
      outputTokens: num(r.output_tokens),
      costUsd: num(r.cost_usd),
      latencyP50: numOrNull(r.latency_p50),
      latencyP95: numOrNull(r.latency_p95),
      stale: num(r.stale),
    })),
    competitors: competitors.map((r) => ({ key: keyOf(r, by), name: String(r.name), count: num(r.n) })),
    domains: domains.map((r) => ({ key: keyOf(r, by), name: String(r.name), count: num(r.n) })),
  };
}

/** The analysis' columns from a JSON analysis `a` (jsonb), for re-scoring in SQL (both modes). */
export const ANALYSIS_COLUMNS_FROM_JSON = (a: string): string =>
  `brand_mentioned = (${a} ->> 'brand_mentioned')::boolean, brand_rank = (${a} ->> 'brand_rank')::int, sentiment = ${a} ->> 'sentiment',
   analysis_key = ${a} ->> 'config_key', own_domain_cited = (${a} ->> 'own_domain_cited')::boolean,
   citation_count = (${a} ->> 'citation_count')::int, own_citation_count = (${a} ->> 'own_citation_count')::int,
   competitors_mentioned = ARRAY(SELECT jsonb_array_elements_text(${a} -> 'competitors_mentioned')),
   cited_domains = ARRAY(SELECT jsonb_array_elements_text(${a} -> 'cited_domains'))`;
