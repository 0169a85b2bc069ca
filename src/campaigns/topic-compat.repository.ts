import { Injectable } from '@nestjs/common';
import { CompatEventStore, fromSnapshot, Snapshot, toSnapshot } from '../core/database/compat-event-store';
import { newId } from '../core/database/ids';
import type { Tx } from '../core/database/transaction';
import type { Page, PageRequest } from '../core/pagination/pagination';
import { normalizeKey, sha256Hex } from '../core/text/normalize';
import { ENTITY } from '../core/database/compat-entity-types';
import { Topic, TopicFields, topicKey, TopicRepository } from './topic.repository';

type Doc = Snapshot<Topic>;

const revive = (d: Doc): Topic => fromSnapshot<Topic>(d);
const toDoc = (x: Topic): Doc => toSnapshot(x);
const titleKey = (campaignId: string, title: string): string => sha256Hex(campaignId, normalizeKey(title));

@Injectable()
export class TopicCompatRepository extends TopicRepository {
  constructor(private readonly store: CompatEventStore) {
    super();
  }

  async create(campaignId: string, fields: TopicFields): Promise<Topic> {
    const now = new Date();
    const topic: Topic = { id: newId(), campaignId, ...fields, createdAt: now, updatedAt: now };
    await this.store.append([
      {
        entityType: ENTITY.topic,
        entityId: topic.id,
        parentId: campaignId,
        eventType: 'created',
        uniqueKey: titleKey(campaignId, topic.title),
        payload: toDoc(topic),
      },
    ]);
    return topic;
  }

  async findById(campaignId: string, id: string): Promise<Topic | null> {
    const d = await this.store.latest<Doc>(ENTITY.topic, id);
    return d && d.campaignId === campaignId ? revive(d) : null;
  }

  async listByCampaign(campaignId: string, page: PageRequest): Promise<Page<Topic>> {
    const p = await this.store.list<Doc>(ENTITY.topic, { parentId: campaignId, page });
    return { ...p, items: p.items.map(revive) };
  }

  async update(campaignId: string, id: string, fields: Partial<TopicFields>): Promise<Topic | null> {
    const current = await this.findById(campaignId, id);
    if (!current) return null;
    const next: Topic = { ...current, ...fields, updatedAt: new Date() };
    await this.store.append([
      {
        entityType: ENTITY.topic,
        entityId: id,
        parentId: campaignId,
        eventType: 'updated',
        uniqueKey: fields.title !== undefined ? titleKey(campaignId, next.title) : undefined,
        payload: toDoc(next),
      },
    ]);
    return next;
  }

  ensureMany(items: (TopicFields & { campaignId: string })[], tx?: Tx): Promise<Map<string, string>> {
    const now = new Date();
    return this.store.ensureMany(
      ENTITY.topic,
      items,
      { key: (t) => topicKey(t.campaignId, t.title), uniqueKey: (t) => titleKey(t.campaignId, t.title), parentId: (t) => t.campaignId },
      ({ campaignId, title, description }, id) => toDoc({ id, campaignId, title, description, createdAt: now, updatedAt: now }),
      tx,
    );
  }

  async delete(campaignId: string, id: string): Promise<boolean> {
    if (!(await this.findById(campaignId, id))) return false;
    const deleted = { deletedAt: new Date().toISOString() };
    const questions = (await this.store.list<{ id: string }>(ENTITY.question, { parentId: campaignId, where: { topicId: id }, page: { limit: 1_000_000, offset: 0 } })).items;
    await this.store.append([
      ...questions.map((q) => ({ entityType: ENTITY.question, entityId: q.id, parentId: campaignId, eventType: 'deleted' as const, payload: deleted })),
      { entityType: ENTITY.topic, entityId: id, parentId: campaignId, eventType: 'deleted', payload: deleted },
    ]);
    return true;
  }
}
