import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../core/config/app-config';
import { translated } from '../core/database/db-errors';
import { jsonParam, parseJson } from '../core/database/json-column';
import { queryRows } from '../core/database/transaction';
import type { StoredAnalysis } from './run-item.repository';
import {
  ANALYSIS_COLUMNS_FROM_JSON,
  type MetricsAggregate,
  type MetricsDimension,
  metricsParams,
  metricsStatements,
  readAggregate,
  RunMetricsRepository,
  type StoredAnswer,
} from './run-metrics.repository';

type Row = Record<string, unknown>;

/**
 * Metrics over the compat `results` table: the same statements as the full schema, over the
 * columns that results keeps beside its payload (compat-schema.ts), so no payload is parsed.
 */
@Injectable()
export class RunMetricsCompatRepository extends RunMetricsRepository {
  private readonly table: string;
  private readonly doc: string;
  private readonly useJsonb: boolean;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    config: AppConfig,
  ) {
    super();
    this.table = `"${config.db.schema}"."results"`;
    this.useJsonb = config.db.useJsonb;
    this.doc = config.db.useJsonb ? 'payload' : 'payload::jsonb';
  }

  private q<T = Row>(sql: string, params: unknown[] = []): Promise<T[]> {
    return translated(queryRows<T>(this.dataSource, undefined, sql, params));
  }

  async aggregate(runIds: string[], by: MetricsDimension | null, currentKey: string, topDomains: number): Promise<MetricsAggregate> {
    const fromDoc = (col: string, path: string): string => (by === 'topic' || by === 'persona' ? `coalesce(${col}, ((${this.doc}) #>> '${path}')::uuid)` : col);
    const base = `SELECT run_id, provider, model, ${fromDoc('topic_id', '{topic,id}')} AS topic_id, ${fromDoc('persona_id', '{persona,id}')} AS persona_id,
        brand_mentioned, brand_rank, sentiment, analysis_key, own_domain_cited, citation_count, own_citation_count,
        competitors_mentioned, cited_domains, input_tokens, output_tokens, cost_usd, latency_ms
      FROM ${this.table} WHERE run_id = ANY($1::uuid[]) AND status = 'succeeded'`;
    const sql = metricsStatements(base, by);
    const params = metricsParams(runIds, currentKey, topDomains);
    const [groups, competitors, domains] = await Promise.all([this.q(sql.groups, params.groups), this.q(sql.competitors, params.competitors), this.q(sql.domains, params.domains)]);
    return readAggregate(by, groups, competitors, domains);
  }

  async staleAnswerIds(runId: string, currentKey: string): Promise<string[]> {
    const rows = await this.q<{ id: string }>(
      `SELECT run_item_id AS id FROM ${this.table} WHERE run_id = $1 AND status = 'succeeded' AND analysis_key IS DISTINCT FROM $2 ORDER BY run_item_id`,
      [runId, currentKey],
    );
    return rows.map((r) => r.id);
  }

  async answers(runItemIds: string[]): Promise<StoredAnswer[]> {
    const rows = await this.q<{ id: string; text: string | null; citations: unknown }>(
      `SELECT run_item_id AS id, (${this.doc}) #>> '{response,text}' AS text, (${this.doc}) #> '{response,citations}' AS citations
       FROM ${this.table} WHERE run_item_id = ANY($1::uuid[]) AND status = 'succeeded' ORDER BY run_item_id`,
      [runItemIds],
    );
    return rows.map((r) => ({ runItemId: r.id, text: r.text ?? '', citations: parseJson<StoredAnswer['citations']>(r.citations) ?? [] }));
  }

  async saveAnalyses(rows: { runItemId: string; analysis: StoredAnalysis }[]): Promise<number> {
    if (rows.length === 0) return 0;
    const merged = this.useJsonb ? `payload = payload || jsonb_build_object('analysis', x.a)` : `payload = (payload::jsonb || jsonb_build_object('analysis', x.a))::text`;
    const updated = await this.q(
      `UPDATE ${this.table} r SET ${merged}, ${ANALYSIS_COLUMNS_FROM_JSON('x.a')}
       FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, a jsonb) WHERE r.run_item_id = x.id AND r.status = 'succeeded' RETURNING 1`,
      [jsonParam(rows.map((r) => ({ id: r.runItemId, a: r.analysis })))],
    );
    return updated.length;
  }
}
