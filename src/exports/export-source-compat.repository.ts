import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../core/config/app-config';
import { cursorRows } from '../core/database/cursor';
import { parseJson } from '../core/database/json-column';
import type { ExportRecord } from './export-record';
import { costOrNull, exportCitations, ExportSourceRepository, isoOrNull, numOrNull, text } from './export-source.repository';

type Doc = Record<string, unknown> & {
  questionId?: string;
  questionText?: string;
  topic?: { id: string; title: string } | null;
  persona?: { id: string; name: string } | null;
  sampleIndex?: number;
  attemptCount?: number;
  lastError?: string | null;
  createdAt?: string;
  finishedAt?: string | null;
  response?: Record<string, unknown> | null;
  analysis?: Record<string, unknown> | null;
};

/** Compat mode: one `results` row per item, its payload holding the item, its answer and analysis. */
@Injectable()
export class ExportSourceCompatRepository extends ExportSourceRepository {
  private readonly table: string;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    config: AppConfig,
  ) {
    super();
    this.table = `"${config.db.schema}"."results"`;
  }

  async *records(runId: string, campaign: { id: string; name: string }, opts: { raw: boolean }): AsyncGenerator<ExportRecord> {
    const sql = `SELECT run_item_id, run_id, provider, model, status, payload FROM ${this.table} WHERE run_id = $1 ORDER BY run_item_id`;
    for await (const row of cursorRows(this.dataSource, sql, [runId])) {
      const d = parseJson<Doc>(row.payload);
      const a = d.response ?? null;
      const usage = (a?.usage ?? {}) as Record<string, unknown>;
      const record: ExportRecord = {
        run_id: text(row.run_id),
        run_item_id: text(row.run_item_id),
        campaign,
        topic: d.topic ? { id: d.topic.id, title: d.topic.title } : null,
        persona: d.persona ? { id: d.persona.id, name: d.persona.name } : null,
        question: { id: String(d.questionId ?? ''), text: String(d.questionText ?? '') },
        provider: text(row.provider),
        model: text(row.model),
        sample_index: Number(d.sampleIndex ?? 0),
        status: text(row.status),
        attempt_count: Number(d.attemptCount ?? 0),
        last_error: typeof d.lastError === 'string' ? d.lastError : null,
        answer: a
          ? {
              text: text(a.text),
              served_model: typeof a.served_model === 'string' ? a.served_model : null,
              citations: exportCitations(a.citations),
              usage: { input_tokens: numOrNull(usage.input_tokens), output_tokens: numOrNull(usage.output_tokens) },
              latency_ms: numOrNull(a.latency_ms),
              cost_usd: costOrNull(a.cost_usd),
              cache_hit: Boolean(a.cache_hit),
              created_at: isoOrNull(a.created_at) as string,
            }
          : null,
        analysis: d.analysis ?? null,
        created_at: isoOrNull(d.createdAt) as string,
        finished_at: isoOrNull(d.finishedAt),
      };
      if (opts.raw) record.raw_response = a?.raw_response ?? null;
      yield record;
    }
  }
}
