import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PersonaEntity } from '../campaigns/persona.entity';
import { QuestionEntity } from '../campaigns/question.entity';
import { TopicEntity } from '../campaigns/topic.entity';
import type { ProviderName } from '../core/config/app-config';
import { chunk, quotedTable, valuesClause } from '../core/database/bulk-sql';
import { translated } from '../core/database/db-errors';
import { newId } from '../core/database/ids';
import { jsonParam, parseJson } from '../core/database/json-column';
import { queryRows, Tx } from '../core/database/transaction';
import type { Page, PageRequest } from '../core/pagination/pagination';
import type { ProviderResult } from '../providers';
import { ResponseEntity } from './response.entity';
import { RunItemEntity } from './run-item.entity';
import { RunEntity } from './run.entity';
import {
  ActiveItemRef,
  ANALYSIS_COLUMNS,
  analysisColumns,
  ItemError,
  ITEM_STATUSES,
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

type Row = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : v === null || v === undefined ? null : JSON.stringify(v));
const date = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string));

export function emptyCounts(): StatusCounts {
  return { total: 0, pending: 0, queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
}

export function countsFrom(rows: { status: string; n: number }[]): StatusCounts {
  const counts = emptyCounts();
  for (const r of rows) {
    if ((ITEM_STATUSES as readonly string[]).includes(r.status)) counts[r.status as RunItemStatus] = Number(r.n);
    counts.total += Number(r.n);
  }
  return counts;
}

/** Full schema: run_items and responses, with raw SQL on the hot path (one statement per step). */
@Injectable()
export class RunItemFullRepository extends RunItemRepository {
  private readonly items: string;
  private readonly responses: string;
  private readonly questions: string;
  private readonly topics: string;
  private readonly personas: string;
  private readonly runs: string;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
    const t = (e: Parameters<DataSource['getMetadata']>[0]): string => quotedTable(dataSource.getMetadata(e));
    this.items = t(RunItemEntity);
    this.responses = t(ResponseEntity);
    this.questions = t(QuestionEntity);
    this.topics = t(TopicEntity);
    this.personas = t(PersonaEntity);
    this.runs = t(RunEntity);
  }

  private q<T = Row>(sql: string, params: unknown[] = [], tx?: Tx): Promise<T[]> {
    return translated(queryRows<T>(this.dataSource, tx, sql, params));
  }

  async insertMany(items: NewRunItem[], status: 'queued', tx?: Tx): Promise<number> {
    let inserted = 0;
    // 9 parameters a row: 5,000 rows stay under Postgres' 65,535 parameters.
    for (const part of chunk(items, 5000)) {
      const [values, params] = valuesClause(
        part.map((i) => [i.id, i.runId, i.questionId, i.provider, i.model, i.settingIndex, i.sampleIndex, i.idempotencyKey, status]),
      );
      const rows = await this.q(
        `INSERT INTO ${this.items} (id, run_id, question_id, provider, model, setting_index, sample_index, idempotency_key, status)
         VALUES ${values} ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
        params,
        tx,
      );
      inserted += rows.length;
    }
    return inserted;
  }

  async claim(itemId: string): Promise<WorkUnit | null> {
    const rows = await this.q(
      // An item of a run cancelled while its job was away (a worker died with it) is cancelled here, not asked.
      `WITH c AS (
         UPDATE ${this.items} i SET
           status = CASE WHEN r.status = 'cancelled' THEN 'cancelled' ELSE 'running' END,
           started_at = coalesce(i.started_at, now()), updated_at = now(),
           finished_at = CASE WHEN r.status = 'cancelled' THEN now() ELSE i.finished_at END
         FROM ${this.runs} r
         WHERE i.id = $1 AND i.status IN ('queued', 'running') AND r.id = i.run_id RETURNING i.*
       )
       SELECT c.id, c.run_id, c.question_id, c.provider, c.model, c.setting_index, c.sample_index, c.idempotency_key, c.attempt_count,
              q.campaign_id, q.text AS question_text,
              t.id AS topic_id, t.title AS topic_title, t.description AS topic_description,
              p.id AS persona_id, p.name AS persona_name, p.role AS persona_role, p.domain AS persona_domain,
              p.locale AS persona_locale, p.tone AS persona_tone
       FROM c JOIN ${this.questions} q ON q.id = c.question_id
       LEFT JOIN ${this.topics} t ON t.id = q.topic_id
       LEFT JOIN ${this.personas} p ON p.id = q.persona_id
       WHERE c.status = 'running'`,
      [itemId],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      id: String(r.id),
      runId: String(r.run_id),
      campaignId: String(r.campaign_id),
      questionId: String(r.question_id),
      provider: r.provider as ProviderName,
      model: String(r.model),
      settingIndex: Number(r.setting_index),
      sampleIndex: Number(r.sample_index),
      idempotencyKey: String(r.idempotency_key),
      attemptCount: Number(r.attempt_count),
      questionText: String(r.question_text),
      topic: r.topic_id ? { id: r.topic_id as string, title: String(r.topic_title), description: str(r.topic_description) } : null,
      persona: r.persona_id
        ? {
            id: r.persona_id as string,
            name: String(r.persona_name),
            role: str(r.persona_role),
            domain: str(r.persona_domain),
            locale: str(r.persona_locale),
            tone: str(r.persona_tone),
          }
        : null,
    };
  }

  async complete(unit: WorkUnit, result: ProviderResult, analysis: StoredAnalysis, cacheHit: boolean): Promise<boolean> {
    // One statement, so atomic without a transaction: the answer (unless the item has one) and the item's status.
    const rows = await this.q(
      `WITH ins AS (
         INSERT INTO ${this.responses} (id, run_item_id, run_id, provider, model, served_model, prompt_version, prompt_hash,
           request_json, response_json, text, text_search, citations_json, search_queries, details, token_usage_json, input_tokens, output_tokens,
           cost_usd, latency_ms, analysis, cache_hit, ${ANALYSIS_COLUMNS.join(', ')})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, to_tsvector('simple'::regconfig, $11), $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
           $23, $24, $25, $26, $27, $28, $29, $30, $31)
         ON CONFLICT (run_item_id) DO NOTHING RETURNING run_item_id
       )
       UPDATE ${this.items} SET status = 'succeeded', finished_at = now(), updated_at = now(), last_error = NULL,
         attempt_count = attempt_count + $22
       WHERE id = $2 AND status IN ('queued', 'running')
       RETURNING (SELECT count(*) FROM ins)::int AS inserted`,
      [
        newId(),
        unit.id,
        unit.runId,
        unit.provider,
        unit.model,
        result.served_model,
        result.prompt_version,
        result.prompt_hash,
        jsonParam(result.raw_request),
        jsonParam(result.raw_response ?? null) ?? 'null',
        result.text,
        jsonParam(result.citations),
        jsonParam(result.search_queries),
        jsonParam(responseDetails(result, cacheHit)),
        jsonParam(result.usage),
        result.usage.input_tokens,
        result.usage.output_tokens,
        result.cost_usd,
        result.latency_ms,
        jsonParam(analysis),
        cacheHit,
        cacheHit ? 0 : 1,
        ...analysisColumns(analysis),
      ],
    );
    return rows.length > 0 && Number(rows[0].inserted) > 0;
  }

  async requeue(itemId: string): Promise<void> {
    await this.q(`UPDATE ${this.items} SET status = 'queued', updated_at = now() WHERE id = $1 AND status = 'running'`, [itemId]);
  }

  async recordRetry(itemId: string, error: string): Promise<void> {
    await this.q(
      `UPDATE ${this.items} SET status = 'queued', last_error = $2, attempt_count = attempt_count + 1, updated_at = now()
       WHERE id = $1 AND status IN ('queued', 'running')`,
      [itemId, error],
    );
  }

  async fail(itemId: string, error: string): Promise<void> {
    await this.q(
      `UPDATE ${this.items} SET status = 'failed', last_error = $2, attempt_count = attempt_count + 1, finished_at = now(), updated_at = now()
       WHERE id = $1 AND status IN ('queued', 'running')`,
      [itemId, error],
    );
  }

  async countByStatus(runId: string): Promise<StatusCounts> {
    return countsFrom(await this.q<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM ${this.items} WHERE run_id = $1 GROUP BY status`, [runId]));
  }

  async stats(runId: string): Promise<RunStats> {
    // An index-only scan of IDX_responses_run, and the few failed items.
    const [r] = await this.q(
      `SELECT coalesce(sum(cost_usd), 0)::float8 AS cost, count(*) FILTER (WHERE cache_hit)::int AS hits,
              count(*) FILTER (WHERE created_at > now() - interval '60 seconds')::int
            + (SELECT count(*)::int FROM ${this.items} WHERE run_id = $1 AND status = 'failed' AND finished_at > now() - interval '60 seconds') AS recent
       FROM ${this.responses} WHERE run_id = $1`,
      [runId],
    );
    return { costUsd: Number(r.cost), cacheHits: Number(r.hits), finishedLastMinute: Number(r.recent) };
  }

  async recentErrors(runId: string, limit: number): Promise<ItemError[]> {
    const rows = await this.q(
      `SELECT id, last_error, updated_at FROM ${this.items}
       WHERE run_id = $1 AND last_error IS NOT NULL AND status IN ('failed', 'queued', 'running')
       ORDER BY updated_at DESC LIMIT $2`,
      [runId, limit],
    );
    return rows.map((r) => ({ runItemId: String(r.id), message: String(r.last_error), at: new Date(r.updated_at as string) }));
  }

  async hasActive(runId: string): Promise<boolean> {
    const rows = await this.q(`SELECT 1 FROM ${this.items} WHERE run_id = $1 AND status IN ('pending', 'queued', 'running') LIMIT 1`, [runId]);
    return rows.length > 0;
  }

  async cancelWaiting(runId: string, tx?: Tx): Promise<number> {
    const rows = await this.q(
      `UPDATE ${this.items} SET status = 'cancelled', finished_at = now(), updated_at = now()
       WHERE run_id = $1 AND status IN ('pending', 'queued') RETURNING 1`,
      [runId],
      tx,
    );
    return rows.length;
  }

  async requeueFailed(runId: string, tx?: Tx): Promise<ActiveItemRef[]> {
    const rows = await this.q(
      `UPDATE ${this.items} SET status = 'queued', finished_at = NULL, last_error = NULL, updated_at = now()
       WHERE run_id = $1 AND status = 'failed' RETURNING id, run_id, provider`,
      [runId],
      tx,
    );
    return rows.map((r) => ({ id: String(r.id), runId: String(r.run_id), provider: r.provider as ProviderName }));
  }

  async activeItems(runId: string): Promise<ActiveItemRef[]> {
    const rows = await this.q(`SELECT id, run_id, provider FROM ${this.items} WHERE run_id = $1 AND status IN ('queued', 'running')`, [runId]);
    return rows.map((r) => ({ id: String(r.id), runId: String(r.run_id), provider: r.provider as ProviderName }));
  }

  async list(runId: string, filter: RunItemFilter, page: PageRequest, knownTotal?: number): Promise<Page<RunItemView>> {
    const params: unknown[] = [runId];
    const where = ['ri.run_id = $1'];
    const add = (sql: (p: string) => string, value: unknown): void => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (filter.status) add((p) => `ri.status = ${p}`, filter.status);
    if (filter.provider) add((p) => `ri.provider = ${p}`, filter.provider);
    if (filter.topicId) add((p) => `q.topic_id = ${p}`, filter.topicId);
    if (filter.personaId) add((p) => `q.persona_id = ${p}`, filter.personaId);
    if (filter.mentioned !== undefined) add((p) => `r.brand_mentioned = ${p}`, filter.mentioned);
    if (filter.q) add((p) => `r.text_search @@ websearch_to_tsquery('simple'::regconfig, ${p})`, filter.q);
    const from = `${this.items} ri JOIN ${this.questions} q ON q.id = ri.question_id LEFT JOIN ${this.responses} r ON r.run_item_id = ri.id`;
    const whereSql = where.join(' AND ');
    const onlyStatus = !filter.provider && !filter.topicId && !filter.personaId && filter.mentioned === undefined && !filter.q;
    let total: number;
    if (knownTotal !== undefined) total = knownTotal;
    else if (onlyStatus) {
      const counts = await this.countByStatus(runId);
      total = filter.status ? counts[filter.status] : counts.total;
    } else {
      const [c] = await this.q(`SELECT count(*)::int AS n FROM ${from} WHERE ${whereSql}`, params);
      total = Number(c.n);
    }
    const rows = await this.q(
      `SELECT ri.id, ri.run_id, ri.question_id, ri.provider, ri.model, ri.sample_index, ri.status, ri.attempt_count, ri.last_error,
              ri.created_at, ri.started_at, ri.finished_at,
              q.text AS question_text, q.topic_id, q.persona_id, t.title AS topic_title, p.name AS persona_name,
              r.id AS response_id, r.text, r.citations_json, r.token_usage_json, r.latency_ms, r.cost_usd, r.served_model, r.cache_hit,
              r.analysis, r.created_at AS answered_at
       FROM ${from} LEFT JOIN ${this.topics} t ON t.id = q.topic_id LEFT JOIN ${this.personas} p ON p.id = q.persona_id
       WHERE ${whereSql} ORDER BY ri.id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, page.limit, page.offset],
    );
    return { items: rows.map(toView), total, ...page };
  }
}

/** What a response keeps besides its columns. */
export function responseDetails(result: ProviderResult, cacheHit: boolean): Record<string, unknown> {
  return {
    sources: result.sources,
    finish_reason: result.finish_reason,
    cost_source: cacheHit ? 'cache' : result.cost_source,
    price_table_version: result.price_table_version,
    requested_model: result.requested_model,
  };
}

function toView(r: Row): RunItemView {
  return {
    id: String(r.id),
    runId: String(r.run_id),
    questionId: String(r.question_id),
    questionText: String(r.question_text),
    topicId: str(r.topic_id),
    topicTitle: str(r.topic_title),
    personaId: str(r.persona_id),
    personaName: str(r.persona_name),
    provider: r.provider as ProviderName,
    model: String(r.model),
    sampleIndex: Number(r.sample_index),
    status: r.status as RunItemStatus,
    attemptCount: Number(r.attempt_count),
    lastError: str(r.last_error),
    createdAt: new Date(r.created_at as string),
    startedAt: date(r.started_at),
    finishedAt: date(r.finished_at),
    response: r.response_id
      ? {
          text: String(r.text),
          citations: parseJson(r.citations_json),
          usage: parseJson(r.token_usage_json),
          latencyMs: r.latency_ms === null ? null : Number(r.latency_ms),
          costUsd: r.cost_usd === null ? null : Number(r.cost_usd),
          servedModel: str(r.served_model),
          cacheHit: Boolean(r.cache_hit),
          analysis: r.analysis === null ? null : parseJson<StoredAnalysis>(r.analysis),
          createdAt: new Date(r.answered_at as string),
        }
      : null,
  };
}
