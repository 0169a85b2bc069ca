import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { QuestionEntity } from '../campaigns/question.entity';
import { quotedTable } from '../core/database/bulk-sql';
import { translated } from '../core/database/db-errors';
import { jsonParam, parseJson } from '../core/database/json-column';
import { queryRows } from '../core/database/transaction';
import { ResponseEntity } from './response.entity';
import type { StoredAnalysis } from './run-item.repository';
import { RunItemEntity } from './run-item.entity';
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

/** Metrics over `responses` (full schema): one scan of the run's answers per statement, by the run_id index. */
@Injectable()
export class RunMetricsFullRepository extends RunMetricsRepository {
  private readonly responses: string;
  private readonly items: string;
  private readonly questions: string;
  private readonly analysisIsJsonb: boolean;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
    const t = (e: Parameters<DataSource['getMetadata']>[0]): string => quotedTable(dataSource.getMetadata(e));
    this.responses = t(ResponseEntity);
    this.items = t(RunItemEntity);
    this.questions = t(QuestionEntity);
    this.analysisIsJsonb = dataSource.getMetadata(ResponseEntity).findColumnWithPropertyName('analysis')?.type === 'jsonb';
  }

  private q<T = Row>(sql: string, params: unknown[] = []): Promise<T[]> {
    return translated(queryRows<T>(this.dataSource, undefined, sql, params));
  }

  async aggregate(runIds: string[], by: MetricsDimension | null, currentKey: string, topDomains: number): Promise<MetricsAggregate> {
    // The catalogue is joined only when a slice needs the question's topic or persona.
    const joined = by === 'topic' || by === 'persona';
    const base = `SELECT r.run_id, r.provider, r.model, ${joined ? 'q.topic_id, q.persona_id' : 'NULL::uuid AS topic_id, NULL::uuid AS persona_id'},
        r.brand_mentioned, r.brand_rank, r.sentiment, r.analysis_key, r.own_domain_cited, r.citation_count, r.own_citation_count,
        r.competitors_mentioned, r.cited_domains, r.input_tokens, r.output_tokens, r.cost_usd, r.latency_ms
      FROM ${this.responses} r
      ${joined ? `JOIN ${this.items} i ON i.id = r.run_item_id JOIN ${this.questions} q ON q.id = i.question_id` : ''}
      WHERE r.run_id = ANY($1::uuid[])`;
    const sql = metricsStatements(base, by);
    const params = metricsParams(runIds, currentKey, topDomains);
    // Three statements on three pooled connections at once: each is one scan of the run's answers.
    const [groups, competitors, domains] = await Promise.all([this.q(sql.groups, params.groups), this.q(sql.competitors, params.competitors), this.q(sql.domains, params.domains)]);
    return readAggregate(by, groups, competitors, domains);
  }

  async staleAnswerIds(runId: string, currentKey: string): Promise<string[]> {
    const rows = await this.q<{ id: string }>(
      `SELECT run_item_id AS id FROM ${this.responses} WHERE run_id = $1 AND analysis_key IS DISTINCT FROM $2 ORDER BY run_item_id`,
      [runId, currentKey],
    );
    return rows.map((r) => r.id);
  }

  async answers(runItemIds: string[]): Promise<StoredAnswer[]> {
    const rows = await this.q<{ id: string; text: string; citations: unknown }>(
      `SELECT run_item_id AS id, text, citations_json AS citations FROM ${this.responses} WHERE run_item_id = ANY($1::uuid[]) ORDER BY run_item_id`,
      [runItemIds],
    );
    return rows.map((r) => ({ runItemId: r.id, text: r.text, citations: parseJson<StoredAnswer['citations']>(r.citations) ?? [] }));
  }

  async saveAnalyses(rows: { runItemId: string; analysis: StoredAnalysis }[]): Promise<number> {
    if (rows.length === 0) return 0;
    const updated = await this.q(
      `UPDATE ${this.responses} r SET analysis = ${this.analysisIsJsonb ? 'x.a' : 'x.a::text'}, ${ANALYSIS_COLUMNS_FROM_JSON('x.a')}
       FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, a jsonb) WHERE r.run_item_id = x.id RETURNING 1`,
      [jsonParam(rows.map((r) => ({ id: r.runItemId, a: r.analysis })))],
    );
    return updated.length;
  }
}
