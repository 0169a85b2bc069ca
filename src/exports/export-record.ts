/**
 * The normalized export record: one per run item, the same whatever the database mode. JSONL
 * writes it as it is (one line each), CSV and XLSX flatten it (flattenRecord), mappers turn it into
 * a partner's payload.
 */
export interface ExportCitation {
  position: number;
  url: string;
  title: string | null;
  domain: string;
}

export interface ExportRecord {
  run_id: string;
  run_item_id: string;
  campaign: { id: string; name: string };
  topic: { id: string; title: string } | null;
  persona: { id: string; name: string } | null;
  question: { id: string; text: string };
  provider: string;
  model: string;
  sample_index: number;
  status: string;
  attempt_count: number;
  last_error: string | null;
  answer: {
    text: string;
    served_model: string | null;
    citations: ExportCitation[];
    usage: { input_tokens: number | null; output_tokens: number | null };
    latency_ms: number | null;
    cost_usd: number | null;
    cache_hit: boolean;
    created_at: string;
  } | null;
  /** The stored analysis (src/analysis/visibility.ts), null until the item is answered. */
  analysis: Record<string, unknown> | null;
  created_at: string;
  finished_at: string | null;
  /** The provider's raw response body, only when asked for (`raw=true`). */
  raw_response?: unknown;
}

/** The flat columns of CSV and XLSX, in order (the contract's columns plus the analysis'). */
export const FLAT_COLUMNS = [
  'run_id',
  'run_item_id',
  'campaign',
  'topic',
  'persona',
  'question',
  'provider',
  'model',
  'served_model',
  'sample_index',
  'status',
  'answer_text',
  'citations',
  'cited_domains',
  'brand_mentioned',
  'brand_rank',
  'top3',
  'sentiment',
  'competitors_mentioned',
  'own_domain_cited',
  'input_tokens',
  'output_tokens',
  'cost_usd',
  'latency_ms',
  'cache_hit',
  'attempt_count',
  'last_error',
  'created_at',
  'finished_at',
] as const;

export type FlatColumn = (typeof FLAT_COLUMNS)[number];
export type FlatValue = string | number | boolean | null;

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map((x) => String(x)) : []);

/** One flat row: lists joined (citations one URL a line, names with "; "), absent values null. */
export function flattenRecord(r: ExportRecord): Record<FlatColumn, FlatValue> {
  const a = r.analysis ?? {};
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);
  return {
    run_id: r.run_id,
    run_item_id: r.run_item_id,
    campaign: r.campaign.name,
    topic: r.topic?.title ?? null,
    persona: r.persona?.name ?? null,
    question: r.question.text,
    provider: r.provider,
    model: r.model,
    served_model: r.answer?.served_model ?? null,
    sample_index: r.sample_index,
    status: r.status,
    answer_text: r.answer?.text ?? null,
    citations: r.answer ? r.answer.citations.map((c) => c.url).join('\n') : null,
    cited_domains: r.analysis ? list(a.cited_domains).join('; ') : null,
    brand_mentioned: r.analysis ? bool(a.brand_mentioned) : null,
    brand_rank: num(a.brand_rank),
    top3: r.analysis ? (bool(a.top3) ?? (num(a.brand_rank) !== null && (num(a.brand_rank) as number) <= 3)) : null,
    sentiment: typeof a.sentiment === 'string' ? a.sentiment : null,
    competitors_mentioned: r.analysis ? list(a.competitors_mentioned).join('; ') : null,
    own_domain_cited: r.analysis ? bool(a.own_domain_cited) : null,
    input_tokens: r.answer?.usage.input_tokens ?? null,
    output_tokens: r.answer?.usage.output_tokens ?? null,
    cost_usd: r.answer?.cost_usd ?? null,
    latency_ms: r.answer?.latency_ms ?? null,
    cache_hit: r.answer ? r.answer.cache_hit : null,
    attempt_count: r.attempt_count,
    last_error: r.last_error,
    created_at: r.created_at,
    finished_at: r.finished_at,
  };
}
