import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, FindOptionsWhere, In, Repository } from 'typeorm';
import { chunk, quotedTable, sortedBy, valuesClause } from '../core/database/bulk-sql';
import { translated } from '../core/database/db-errors';
import { newId } from '../core/database/ids';
import { jsonParam } from '../core/database/json-column';
import { managerOf, Tx } from '../core/database/transaction';
import type { Page, PageRequest } from '../core/pagination/pagination';
import { QuestionEntity } from './question.entity';
import { Question, questionDedupeKey, QuestionFields, QuestionFilter, QuestionRepository } from './question.repository';

const toQuestion = (e: QuestionEntity): Question => ({
  id: e.id,
  campaignId: e.campaignId,
  topicId: e.topicId,
  personaId: e.personaId,
  text: e.text,
  metadata: e.metadata,
  createdAt: e.createdAt,
  updatedAt: e.updatedAt,
});

@Injectable()
export class QuestionFullRepository extends QuestionRepository {
  private readonly repo: Repository<QuestionEntity>;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
    this.repo = dataSource.getRepository(QuestionEntity);
  }

  async create(campaignId: string, fields: QuestionFields): Promise<Question> {
    const e = this.repo.create({
      ...fields,
      id: newId(),
      campaignId,
      dedupeKey: questionDedupeKey(campaignId, fields.topicId, fields.personaId, fields.text),
    });
    return toQuestion(await translated(this.repo.save(e)));
  }

  async findById(campaignId: string, id: string): Promise<Question | null> {
    const e = await this.repo.findOneBy({ id, campaignId });
    return e ? toQuestion(e) : null;
  }

  async listByCampaign(campaignId: string, filter: QuestionFilter, page: PageRequest): Promise<Page<Question>> {
    const where: FindOptionsWhere<QuestionEntity> = { campaignId };
    if (filter.topicId) where.topicId = filter.topicId;
    if (filter.personaId) where.personaId = filter.personaId;
    const [rows, total] = await this.repo.findAndCount({ where, order: { id: 'ASC' }, take: page.limit, skip: page.offset });
    return { items: rows.map(toQuestion), total, ...page };
  }

  async listAll(campaignId: string, filter: { topicIds?: string[]; personaIds?: string[] }): Promise<Question[]> {
    const where: FindOptionsWhere<QuestionEntity> = { campaignId };
    if (filter.topicIds?.length) where.topicId = In(filter.topicIds);
    if (filter.personaIds?.length) where.personaId = In(filter.personaIds);
    return (await this.repo.find({ where, order: { id: 'ASC' } })).map(toQuestion);
  }

  async insertMany(items: (QuestionFields & { campaignId: string })[], tx?: Tx): Promise<number> {
    const m = managerOf(this.dataSource, tx);
    const table = quotedTable(this.repo.metadata);
    const rows = sortedBy(
      // Ids first, in input order (UUIDv7: lists show questions in the order they came), then the lock order.
      items.map((q) => ({ ...q, id: newId(), dedupeKey: questionDedupeKey(q.campaignId, q.topicId, q.personaId, q.text) })),
      (q) => q.dedupeKey,
    );
    let inserted = 0;
    // 7 parameters a row: 5,000 rows stay well under Postgres' 65,535 parameters.
    for (const part of chunk(rows, 5000)) {
      const [values, params] = valuesClause(part.map((q) => [q.id, q.campaignId, q.topicId, q.personaId, q.text, q.dedupeKey, jsonParam(q.metadata)]));
      const result: { id: string }[] = await translated(
        m.query(
          `INSERT INTO ${table} (id, campaign_id, topic_id, persona_id, text, dedupe_key, metadata) VALUES ${values} ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
          params,
        ),
      );
      inserted += result.length;
    }
    return inserted;
  }

  async delete(campaignId: string, id: string): Promise<boolean> {
    const result = await translated(this.repo.delete({ id, campaignId }));
    return (result.affected ?? 0) > 0;
  }
}
