import type { ProviderName } from '../core/config/app-config';
import type { Tx } from '../core/database/transaction';
import type { Page, PageRequest } from '../core/pagination/pagination';
import type { ProviderResult } from '../providers';
import type { RunItemStatus } from './run-item.entity';

export type { RunItemStatus };

export const ITEM_STATUSES: readonly RunItemStatus[] = ['pending', 'queued', 'running', 'succeeded', 'failed', 'cancelled'];

export interface AskedPersona {
  id: string;
  name: string;
  role: string | null;
  domain: string | null;
  locale: string | null;
  tone: string | null;
}

export interface AskedTopic {
  id: string;
  title: string;
  description: string | null;
}

/** One (question, provider setting, sample) of a run, as materialized at start. */
export interface NewRunItem {
  id: string;
  runId: string;
  campaignId: string;
  questionId: string;
  provider: ProviderName;
  model: string;
  settingIndex: number;
  sampleIndex: number;
  idempotencyKey: string;
  questionText: string;
  topic: AskedTopic | null;
  persona: AskedPersona | null;
}

/** What a worker needs to execute an item, read in the same statement that claims it. */
export interface WorkUnit extends NewRunItem {
  attemptCount: number;
}

/** The analysis stored with a response (src/analysis). */
export interface StoredAnalysis {
  version: string;
  brand_mentioned: boolean;
  brand_rank: number | null;
  sentiment: string | null;
  competitors_mentioned: string[];
  cited_domains: string[];
  own_domain_cited: boolean;
  [key: string]: unknown;
}

/** The analysis' figures that the metrics aggregate, stored as columns beside the JSON (both modes). */
export function analysisColumns(a: StoredAnalysis): unknown[] {
  return [
    a.brand_mentioned,
    a.brand_rank,
    a.sentiment,
    typeof a.config_key === 'string' ? a.config_key : null,
    a.own_domain_cited,
    typeof a.citation_count === 'number' ? a.citation_count : a.cited_domains.length,
    typeof a.own_citation_count === 'number' ? a.own_citation_count : null,
    a.competitors_mentioned,
    a.cited_domains,
  ];
}

/** The column names of analysisColumns, in its order. */
export const ANALYSIS_COLUMNS = [
  'brand_mentioned',
  'brand_rank',
  'sentiment',
  'analysis_key',
  'own_domain_cited',
  'citation_count',
  'own_citation_count',
  'competitors_mentioned',
  'cited_domains',
] as const;

export interface StoredResponse {
  text: string;
  citations: ProviderResult['citations'];
  usage: ProviderResult['usage'];
  latencyMs: number | null;
  costUsd: number | null;
  servedModel: string | null;
  cacheHit: boolean;
  analysis: StoredAnalysis | null;
  createdAt: Date;
}

export interface RunItemView {
  id: string;
  runId: string;
  questionId: string;
  questionText: string;
  topicId: string | null;
  topicTitle: string | null;
  personaId: string | null;
  personaName: string | null;
  provider: ProviderName;
  model: string;
  sampleIndex: number;
  status: RunItemStatus;
  attemptCount: number;
  lastError: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  response: StoredResponse | null;
}

export interface RunItemFilter {
  status?: RunItemStatus;
  provider?: ProviderName;
  topicId?: string;
  personaId?: string;
  mentioned?: boolean;
  /** Full-text search over answer texts. */
  q?: string;
}

export type StatusCounts = Record<RunItemStatus, number> & { total: number };

export interface RunStats {
  costUsd: number;
  cacheHits: number;
  /** Items that reached a terminal status in the last 60 seconds. */
  finishedLastMinute: number;
}

export interface ItemError {
  runItemId: string;
  message: string;
  at: Date;
}

/** A queued or running item, for the reconciler and resume. */
export interface ActiveItemRef {
  id: string;
  runId: string;
  provider: ProviderName;
}

/**
 * Run items and their responses (full schema: run_items + responses; compat mode: one `results` row
 * per item). Every write is conditional on the item's current status, so redelivered jobs, a
 * cancel racing a worker, or two workers on one item cannot store two answers or resurrect an item.
 */
export abstract class RunItemRepository {
  /** Inserts items whose idempotency key is new; answers how many were inserted. */
  abstract insertMany(items: NewRunItem[], status: 'queued', tx?: Tx): Promise<number>;
  /** queued|running → running; the unit to execute, or null when the item is terminal or unknown. */
  abstract claim(itemId: string): Promise<WorkUnit | null>;
  /** Stores the answer and marks the item succeeded, in one transaction; false when it already had one or was not running. */
  abstract complete(unit: WorkUnit, result: ProviderResult, analysis: StoredAnalysis, cacheHit: boolean): Promise<boolean>;
  /** running → queued: the job waits (for a token or another job of the item) without an attempt spent. */
  abstract requeue(itemId: string): Promise<void>;
  /** A retryable failure with attempts left: back to queued with the error, one more attempt counted. */
  abstract recordRetry(itemId: string, error: string): Promise<void>;
  /** The dead-letter state: failed with its last error. */
  abstract fail(itemId: string, error: string): Promise<void>;
  abstract countByStatus(runId: string): Promise<StatusCounts>;
  abstract stats(runId: string): Promise<RunStats>;
  abstract recentErrors(runId: string, limit: number): Promise<ItemError[]>;
  abstract hasActive(runId: string): Promise<boolean>;
  /** pending|queued → cancelled; how many. */
  abstract cancelWaiting(runId: string, tx?: Tx): Promise<number>;
  /** failed → queued (attempts start again); the items requeued. */
  abstract requeueFailed(runId: string, tx?: Tx): Promise<ActiveItemRef[]>;
  /** The queued or running items of a run (about 60 bytes each: 100,000 fit in a few MB). */
  abstract activeItems(runId: string): Promise<ActiveItemRef[]>;
  /** A page of items; `knownTotal`, when the caller has it, is the page's total (no count is run). */
  abstract list(runId: string, filter: RunItemFilter, page: PageRequest, knownTotal?: number): Promise<Page<RunItemView>>;
}
