import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig, ProviderName } from '../core/config/app-config';
import { chunk, valuesClause } from '../core/database/bulk-sql';
import { translated } from '../core/database/db-errors';
import { jsonParam, parseJson } from '../core/database/json-column';
import { queryRows, Tx } from '../core/database/transaction';
import type { Page, PageRequest } from '../core/pagination/pagination';
import type { ProviderResult } from '../providers';
import { countsFrom, responseDetails } from './run-item-full.repository';
import {
  ActiveItemRef,
  ANALYSIS_COLUMNS,
  analysisColumns,
  ItemError,
  NewRunItem,
  RunItemFilter,
  RunItemRepository,
  RunItemStatus,
  RunItemView,
  RunStats,
  StatusCounts,
  StoredAnalysis,
  WorkUnit,
} from './run-item.repository';

/** A run item as compat mode stores it in `results.payload`: the item, its state, and once answered the response. */
interface ItemDoc extends NewRunItem {
  attemptCount: number;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  response: ResponseDoc | null;
  analysis: StoredAnalysis | null;
}

interface ResponseDoc {
  text: string;
  citations: ProviderResult['citations'];
  search_queries: string[];
  usage: ProviderResult['usage'];
  latency_ms: number | null;
  cost_usd: number | null;
  served_model: string | null;
  prompt_version: string;
  prompt_hash: string;
  cache_hit: boolean;
  details: Record<string, unknown>;
  raw_request: unknown;
  raw_response: unknown;
  created_at: string;
}

/**
 * Compat mode: one `results` row per run item from the moment the run starts. The status column
 * and the payload change in place with conditional UPDATEs, the same guarantees as the full
 * schema's run_items + responses; the answer and its analysis are part of the payload.
 */
@Injectable()
export class RunItemCompatRepository extends RunItemRepository {
  private readonly table: string;
  private readonly events: string;
  /** The payload as jsonb, whichever JSON type the column has. */
  private readonly doc: string;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    config: AppConfig,
  ) {
    super();
    this.table = `"${config.db.schema}"."results"`;
    this.events = `"${config.db.schema}"."events"`;
    this.useJsonb = config.db.useJsonb;
    this.doc = config.db.useJsonb ? 'payload' : 'payload::jsonb';
  }

  private readonly useJsonb: boolean;

  /** `payload = payload || <jsonb expression>` for either JSON column type. */
  private merged(expr: string): string {
    return this.useJsonb ? `payload = payload || ${expr}` : `payload = (payload::jsonb || ${expr})::text`;
  }

  private q<T = Record<string, unknown>>(sql: string, params: unknown[] = [], tx?: Tx): Promise<T[]> {
    return translated(queryRows<T>(this.dataSource, tx, sql, params));
  }

  async insertMany(items: NewRunItem[], status: 'queued', tx?: Tx): Promise<number> {
    const now = new Date().toISOString();
    let inserted = 0;
    for (const part of chunk(items, 5000)) {
      const [values, params] = valuesClause(
        part.map((i) => {
          const doc: ItemDoc = { ...i, attemptCount: 0, lastError: null, createdAt: now, updatedAt: now, startedAt: null, finishedAt: null, response: null, analysis: null };
          return [i.id, i.id, i.runId, i.campaignId, i.provider, i.model, status, jsonParam(doc), i.topic?.id ?? null, i.persona?.id ?? null];
        }),
      );
      const rows = await this.q(
        `INSERT INTO ${this.table} (id, run_item_id, run_id, campaign_id, provider, model, status, payload, topic_id, persona_id) VALUES ${values}
         ON CONFLICT (run_item_id) DO NOTHING RETURNING 1`,
        params,
        tx,
      );
      inserted += rows.length;
    }
    return inserted;
  }

  async claim(itemId: string): Promise<WorkUnit | null> {
    // An item of a run cancelled while its job was away (a worker died with it) is cancelled here, not asked.
    const runCancelled = `coalesce((SELECT e.payload${this.useJsonb ? '' : '::jsonb'} ->> 'status' FROM ${this.events} e
        WHERE e.entity_type = 'run' AND e.entity_id = ${this.table}.run_id ORDER BY e.seq DESC LIMIT 1) = 'cancelled', false)`;
    const rows = await this.q<{ payload: unknown; status: string }>(
      `UPDATE ${this.table} SET status = CASE WHEN ${runCancelled} THEN 'cancelled' ELSE 'running' END, updated_at = now(),
         finished_at = CASE WHEN ${runCancelled} THEN now() END,
         ${this.merged(`jsonb_build_object('startedAt', coalesce((${this.doc}) ->> 'startedAt', to_json(now())#>>'{}'), 'updatedAt', to_json(now())#>>'{}')`)}
       WHERE run_item_id = $1 AND status IN ('queued', 'running') RETURNING payload, status`,
      [itemId],
    );
    if (!rows[0] || rows[0].status !== 'running') return null;
    const d = parseJson<ItemDoc>(rows[0].payload);
    return {
      id: d.id,
      runId: d.runId,
      campaignId: d.campaignId,
      questionId: d.questionId,
      provider: d.provider,
      model: d.model,
      settingIndex: d.settingIndex,
      sampleIndex: d.sampleIndex,
      idempotencyKey: d.idempotencyKey,
      questionText: d.questionText,
      topic: d.topic,
      persona: d.persona,
      attemptCount: d.attemptCount,
    };
  }

  async complete(unit: WorkUnit, result: ProviderResult, analysis: StoredAnalysis, cacheHit: boolean): Promise<boolean> {
    const response: ResponseDoc = {
      text: result.text,
      citations: result.citations,
      search_queries: result.search_queries,
      usage: result.usage,
      latency_ms: result.latency_ms,
      cost_usd: result.cost_usd,
      served_model: result.served_model,
      prompt_version: result.prompt_version,
      prompt_hash: result.prompt_hash,
      cache_hit: cacheHit,
      details: responseDetails(result, cacheHit),
      raw_request: result.raw_request,
      raw_response: result.raw_response ?? null,
      created_at: new Date().toISOString(),
    };
    const rows = await this.q(
      `UPDATE ${this.table} SET status = 'succeeded', cost_usd = $5, cache_hit = $6, last_error = NULL, updated_at = now(), finished_at = now(),
         text_search = to_tsvector('simple'::regconfig, $7), input_tokens = $8, output_tokens = $9, latency_ms = $10,
         ${ANALYSIS_COLUMNS.map((c, k) => `${c} = $${11 + k}`).join(', ')},
         ${this.merged(`jsonb_build_object('response', $2::jsonb, 'analysis', $3::jsonb, 'lastError', null,
            'attemptCount', coalesce(((${this.doc}) ->> 'attemptCount')::int, 0) + $4,
            'finishedAt', to_json(now())#>>'{}', 'updatedAt', to_json(now())#>>'{}')`)}
       WHERE run_item_id = $1 AND status IN ('queued', 'running') AND (${this.doc}) -> 'response' = 'null'::jsonb RETURNING 1`,
      [
        unit.id,
        jsonParam(response),
        jsonParam(analysis),
        cacheHit ? 0 : 1,
        result.cost_usd,
        cacheHit,
        result.text,
        result.usage.input_tokens,
        result.usage.output_tokens,
        result.latency_ms,
        ...analysisColumns(analysis),
      ],
    );
    return rows.length > 0;
  }

  private async setStatus(itemId: string, status: 'queued' | 'failed', error: string): Promise<void> {
    const finished = status === 'failed' ? `, 'finishedAt', to_json(now())#>>'{}'` : '';
    await this.q(
      `UPDATE ${this.table} SET status = $2::varchar, last_error = $3::text, updated_at = now(), finished_at = CASE WHEN $2::varchar = 'failed' THEN now() END,
         ${this.merged(`jsonb_build_object('lastError', $3::text, 'attemptCount', coalesce(((${this.doc}) ->> 'attemptCount')::int, 0) + 1,
            'updatedAt', to_json(now())#>>'{}'${finished})`)}
       WHERE run_item_id = $1 AND status IN ('queued', 'running')`,
      [itemId, status, error],
    );
  }

  async requeue(itemId: string): Promise<void> {
    await this.q(`UPDATE ${this.table} SET status = 'queued', updated_at = now() WHERE run_item_id = $1 AND status = 'running'`, [itemId]);
  }

  recordRetry(itemId: string, error: string): Promise<void> {
    return this.setStatus(itemId, 'queued', error);
  }

  fail(itemId: string, error: string): Promise<void> {
    return this.setStatus(itemId, 'failed', error);
  }

  async countByStatus(runId: string): Promise<StatusCounts> {
    return countsFrom(await this.q<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM ${this.table} WHERE run_id = $1 GROUP BY status`, [runId]));
  }

  async stats(runId: string): Promise<RunStats> {
    // An index-only scan of IDX_results_run_status.
    const [r] = await this.q(
      `SELECT coalesce(sum(cost_usd), 0)::float8 AS cost, count(*) FILTER (WHERE cache_hit)::int AS hits,
              count(*) FILTER (WHERE finished_at > now() - interval '60 seconds')::int AS recent
       FROM ${this.table} WHERE run_id = $1 AND status IN ('succeeded', 'failed')`,
      [runId],
    );
    return { costUsd: Number(r.cost), cacheHits: Number(r.hits), finishedLastMinute: Number(r.recent) };
  }

  async recentErrors(runId: string, limit: number): Promise<ItemError[]> {
    const rows = await this.q(
      `SELECT run_item_id, last_error, updated_at FROM ${this.table}
       WHERE run_id = $1 AND last_error IS NOT NULL AND status IN ('failed', 'queued', 'running')
       ORDER BY updated_at DESC LIMIT $2`,
      [runId, limit],
    );
    return rows.map((r) => ({ runItemId: String(r.run_item_id), message: String(r.last_error), at: new Date(r.updated_at as string) }));
  }

  async hasActive(runId: string): Promise<boolean> {
    const rows = await this.q(`SELECT 1 FROM ${this.table} WHERE run_id = $1 AND status IN ('pending', 'queued', 'running') LIMIT 1`, [runId]);
    return rows.length > 0;
  }

  async cancelWaiting(runId: string, tx?: Tx): Promise<number> {
    const rows = await this.q(
      `UPDATE ${this.table} SET status = 'cancelled', updated_at = now(), finished_at = now(), ${this.merged(`jsonb_build_object('finishedAt', to_json(now())#>>'{}', 'updatedAt', to_json(now())#>>'{}')`)}
       WHERE run_id = $1 AND status IN ('pending', 'queued') RETURNING 1`,
      [runId],
      tx,
    );
    return rows.length;
  }

  async requeueFailed(runId: string, tx?: Tx): Promise<ActiveItemRef[]> {
    const rows = await this.q(
      `UPDATE ${this.table} SET status = 'queued', updated_at = now(), finished_at = NULL, last_error = NULL, ${this.merged(`jsonb_build_object('finishedAt', null, 'lastError', null, 'updatedAt', to_json(now())#>>'{}')`)}
       WHERE run_id = $1 AND status = 'failed' RETURNING run_item_id, run_id, provider`,
      [runId],
      tx,
    );
    return rows.map((r) => ({ id: String(r.run_item_id), runId: String(r.run_id), provider: r.provider as ProviderName }));
  }

  async activeItems(runId: string): Promise<ActiveItemRef[]> {
    const rows = await this.q(`SELECT run_item_id, run_id, provider FROM ${this.table} WHERE run_id = $1 AND status IN ('queued', 'running')`, [runId]);
    return rows.map((r) => ({ id: String(r.run_item_id), runId: String(r.run_id), provider: r.provider as ProviderName }));
  }

  async list(runId: string, filter: RunItemFilter, page: PageRequest, knownTotal?: number): Promise<Page<RunItemView>> {
    const params: unknown[] = [runId];
    const where = ['run_id = $1'];
    const add = (sql: (p: string) => string, value: unknown): void => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (filter.status) add((p) => `status = ${p}`, filter.status);
    if (filter.provider) add((p) => `provider = ${p}`, filter.provider);
    if (filter.topicId) add((p) => `(${this.doc}) #>> '{topic,id}' = ${p}`, filter.topicId);
    if (filter.personaId) add((p) => `(${this.doc}) #>> '{persona,id}' = ${p}`, filter.personaId);
    if (filter.mentioned !== undefined) add((p) => `((${this.doc}) #>> '{analysis,brand_mentioned}')::boolean = ${p}`, filter.mentioned);
    if (filter.q) add((p) => `text_search @@ websearch_to_tsquery('simple'::regconfig, ${p})`, filter.q);
    const whereSql = where.join(' AND ');
    const total = knownTotal ?? Number((await this.q(`SELECT count(*)::int AS n FROM ${this.table} WHERE ${whereSql}`, params))[0].n);
    const rows = await this.q<{ status: string; payload: unknown }>(
      `SELECT status, payload FROM ${this.table} WHERE ${whereSql} ORDER BY seq LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, page.limit, page.offset],
    );
    return { items: rows.map((r) => toView(r.status as RunItemStatus, parseJson<ItemDoc>(r.payload))), total, ...page };
  }
}

function toView(status: RunItemStatus, d: ItemDoc): RunItemView {
  const r = d.response;
  return {
    id: d.id,
    runId: d.runId,
    questionId: d.questionId,
    questionText: d.questionText,
    topicId: d.topic?.id ?? null,
    topicTitle: d.topic?.title ?? null,
    personaId: d.persona?.id ?? null,
    personaName: d.persona?.name ?? null,
    provider: d.provider,
    model: d.model,
    sampleIndex: d.sampleIndex,
    status,
    attemptCount: d.attemptCount,
    lastError: d.lastError,
    createdAt: new Date(d.createdAt),
    startedAt: d.startedAt ? new Date(d.startedAt) : null,
    finishedAt: d.finishedAt ? new Date(d.finishedAt) : null,
    response: r
      ? {
          text: r.text,
          citations: r.citations,
          usage: r.usage,
          latencyMs: r.latency_ms,
          costUsd: r.cost_usd,
          servedModel: r.served_model,
          cacheHit: r.cache_hit,
          analysis: d.analysis,
          createdAt: new Date(r.created_at),
        }
      : null,
  };
}
