import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PersonaEntity } from '../campaigns/persona.entity';
import { QuestionEntity } from '../campaigns/question.entity';
import { TopicEntity } from '../campaigns/topic.entity';
import { quotedTable } from '../core/database/bulk-sql';
import { cursorRows } from '../core/database/cursor';
import { parseJson } from '../core/database/json-column';
import { ResponseEntity } from '../runs/response.entity';
import { RunItemEntity } from '../runs/run-item.entity';
import type { ExportRecord } from './export-record';
import { costOrNull, exportCitations, ExportSourceRepository, isoOrNull, numOrNull, text, textOrNull } from './export-source.repository';

@Injectable()
export class ExportSourceFullRepository extends ExportSourceRepository {
  private readonly items: string;
  private readonly responses: string;
  private readonly questions: string;
  private readonly topics: string;
  private readonly personas: string;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
    const t = (e: Parameters<DataSource['getMetadata']>[0]): string => quotedTable(dataSource.getMetadata(e));
    this.items = t(RunItemEntity);
    this.responses = t(ResponseEntity);
    this.questions = t(QuestionEntity);
    this.topics = t(TopicEntity);
    this.personas = t(PersonaEntity);
  }

  async *records(runId: string, campaign: { id: string; name: string }, opts: { raw: boolean }): AsyncGenerator<ExportRecord> {
    const sql = `SELECT ri.id, ri.run_id, ri.question_id, ri.provider, ri.model, ri.sample_index, ri.status, ri.attempt_count, ri.last_error,
        ri.created_at, ri.finished_at, q.text AS question_text, q.topic_id, q.persona_id, t.title AS topic_title, p.name AS persona_name,
        r.id AS response_id, r.text, r.citations_json, r.input_tokens, r.output_tokens, r.latency_ms, r.cost_usd, r.served_model, r.cache_hit,
        r.analysis, r.created_at AS answered_at${opts.raw ? ', r.response_json' : ''}
      FROM ${this.items} ri JOIN ${this.questions} q ON q.id = ri.question_id
        LEFT JOIN ${this.topics} t ON t.id = q.topic_id LEFT JOIN ${this.personas} p ON p.id = q.persona_id
        LEFT JOIN ${this.responses} r ON r.run_item_id = ri.id
      WHERE ri.run_id = $1 ORDER BY ri.id`;
    for await (const r of cursorRows(this.dataSource, sql, [runId])) {
      const record: ExportRecord = {
        run_id: text(r.run_id),
        run_item_id: text(r.id),
        campaign,
        topic: r.topic_id ? { id: text(r.topic_id), title: text(r.topic_title) } : null,
        persona: r.persona_id ? { id: text(r.persona_id), name: text(r.persona_name) } : null,
        question: { id: text(r.question_id), text: text(r.question_text) },
        provider: text(r.provider),
        model: text(r.model),
        sample_index: Number(r.sample_index),
        status: text(r.status),
        attempt_count: Number(r.attempt_count),
        last_error: textOrNull(r.last_error),
        answer: r.response_id
          ? {
              text: text(r.text),
              served_model: textOrNull(r.served_model),
              citations: exportCitations(parseJson(r.citations_json)),
              usage: { input_tokens: numOrNull(r.input_tokens), output_tokens: numOrNull(r.output_tokens) },
              latency_ms: numOrNull(r.latency_ms),
              cost_usd: costOrNull(r.cost_usd),
              cache_hit: Boolean(r.cache_hit),
              created_at: isoOrNull(r.answered_at) as string,
            }
          : null,
        analysis: r.analysis === null || r.analysis === undefined ? null : parseJson<Record<string, unknown>>(r.analysis),
        created_at: isoOrNull(r.created_at) as string,
        finished_at: isoOrNull(r.finished_at),
      };
      if (opts.raw) record.raw_response = r.response_json === undefined || r.response_json === null ? null : parseJson(r.response_json);
      yield record;
    }
  }
}
