import { Injectable } from '@nestjs/common';
import { CompatEventStore, fromSnapshot, Snapshot, toSnapshot } from '../core/database/compat-event-store';
import { newId } from '../core/database/ids';
import type { Tx } from '../core/database/transaction';
import { chunk } from '../core/database/bulk-sql';
import type { Page, PageRequest } from '../core/pagination/pagination';
import { ENTITY } from '../core/database/compat-entity-types';
import { Question, questionDedupeKey, QuestionFields, QuestionFilter, QuestionRepository } from './question.repository';

type Doc = Snapshot<Question>;

const revive = (d: Doc): Question => fromSnapshot<Question>(d);
const toDoc = (x: Question): Doc => toSnapshot(x);

@Injectable()
export class QuestionCompatRepository extends QuestionRepository {
  constructor(private readonly store: CompatEventStore) {
    super();
  }

  async create(campaignId: string, fields: QuestionFields): Promise<Question> {
    const now = new Date();
    const question: Question = { id: newId(), campaignId, ...fields, createdAt: now, updatedAt: now };
    await this.store.append([
      {
        entityType: ENTITY.question,
        entityId: question.id,
        parentId: campaignId,
        eventType: 'created',
        uniqueKey: questionDedupeKey(campaignId, fields.topicId, fields.personaId, fields.text),
        payload: toDoc(question),
      },
    ]);
    return question;
  }

  async findById(campaignId: string, id: string): Promise<Question | null> {
    const d = await this.store.latest<Doc>(ENTITY.question, id);
    return d && d.campaignId === campaignId ? revive(d) : null;
  }

  async listByCampaign(campaignId: string, filter: QuestionFilter, page: PageRequest): Promise<Page<Question>> {
    const where: Record<string, string> = {};
    if (filter.topicId) where.topicId = filter.topicId;
    if (filter.personaId) where.personaId = filter.personaId;
    const p = await this.store.list<Doc>(ENTITY.question, { parentId: campaignId, where, page });
    return { ...p, items: p.items.map(revive) };
  }

  async listAll(campaignId: string, filter: { topicIds?: string[]; personaIds?: string[] }): Promise<Question[]> {
    const topics = filter.topicIds?.length ? new Set(filter.topicIds) : null;
    const personas = filter.personaIds?.length ? new Set(filter.personaIds) : null;
    const out: Question[] = [];
    for (let offset = 0; ; offset += 5000) {
      const p = await this.store.list<Doc>(ENTITY.question, { parentId: campaignId, page: { limit: 5000, offset } });
      for (const d of p.items) {
        if (topics && !(d.topicId && topics.has(d.topicId))) continue;
        if (personas && !(d.personaId && personas.has(d.personaId))) continue;
        out.push(revive(d));
      }
      if (p.items.length < 5000) return out;
    }
  }

  async insertMany(items: (QuestionFields & { campaignId: string })[], tx?: Tx): Promise<number> {
    const now = new Date();
    let inserted = 0;
    // 7 parameters an event: 5,000 stay under Postgres' 65,535 parameters.
    for (const part of chunk(items, 5000)) {
      const created = await this.store.appendIfAbsent(
        part.map(({ campaignId, ...fields }) => {
          const question: Question = { id: newId(), campaignId, ...fields, createdAt: now, updatedAt: now };
          return {
            entityType: ENTITY.question,
            entityId: question.id,
            parentId: campaignId,
            eventType: 'created' as const,
            uniqueKey: questionDedupeKey(campaignId, fields.topicId, fields.personaId, fields.text),
            payload: toDoc(question),
          };
        }),
        tx,
      );
      inserted += created.size;
    }
    return inserted;
  }

  async delete(campaignId: string, id: string): Promise<boolean> {
    if (!(await this.findById(campaignId, id))) return false;
    await this.store.append([
      { entityType: ENTITY.question, entityId: id, parentId: campaignId, eventType: 'deleted', payload: { deletedAt: new Date().toISOString() } },
    ]);
    return true;
  }
}
