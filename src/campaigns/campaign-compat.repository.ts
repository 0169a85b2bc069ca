import { Injectable } from '@nestjs/common';
import { CompatEventStore, fromSnapshot, Snapshot, toSnapshot } from '../core/database/compat-event-store';
import { ReferenceViolationError } from '../core/database/db-errors';
import { newId } from '../core/database/ids';
import type { Tx } from '../core/database/transaction';
import type { Page, PageRequest } from '../core/pagination/pagination';
import { normalizeKey, sha256Hex } from '../core/text/normalize';
import { Campaign, CampaignFields, CampaignRepository } from './campaign.repository';
import { ENTITY } from '../core/database/compat-entity-types';

type Doc = Snapshot<Campaign>;

const revive = (d: Doc): Campaign => fromSnapshot<Campaign>(d);
const toDoc = (x: Campaign): Doc => toSnapshot(x);
const nameKey = (name: string): string => sha256Hex(normalizeKey(name));

@Injectable()
export class CampaignCompatRepository extends CampaignRepository {
  constructor(private readonly store: CompatEventStore) {
    super();
  }

  async create(fields: CampaignFields): Promise<Campaign> {
    const now = new Date();
    const campaign: Campaign = { id: newId(), ...fields, createdAt: now, updatedAt: now };
    await this.store.append([
      { entityType: ENTITY.campaign, entityId: campaign.id, eventType: 'created', uniqueKey: nameKey(fields.name), payload: toDoc(campaign) },
    ]);
    return campaign;
  }

  async findById(id: string): Promise<Campaign | null> {
    const d = await this.store.latest<Doc>(ENTITY.campaign, id);
    return d ? revive(d) : null;
  }

  async findByName(name: string): Promise<Campaign | null> {
    const d = await this.store.findByUniqueKey<Doc>(ENTITY.campaign, nameKey(name));
    return d ? revive(d) : null;
  }

  async list(page: PageRequest): Promise<Page<Campaign>> {
    const p = await this.store.list<Doc>(ENTITY.campaign, { page });
    return { ...p, items: p.items.map(revive) };
  }

  async update(id: string, fields: Partial<CampaignFields>): Promise<Campaign | null> {
    const current = await this.findById(id);
    if (!current) return null;
    const next: Campaign = { ...current, ...fields, updatedAt: new Date() };
    await this.store.append([
      {
        entityType: ENTITY.campaign,
        entityId: id,
        eventType: 'updated',
        uniqueKey: fields.name !== undefined ? nameKey(next.name) : undefined,
        payload: toDoc(next),
      },
    ]);
    return next;
  }

  ensureMany(items: CampaignFields[], tx?: Tx): Promise<Map<string, string>> {
    const now = new Date();
    return this.store.ensureMany(
      ENTITY.campaign,
      items,
      { key: (c) => normalizeKey(c.name), uniqueKey: (c) => nameKey(c.name) },
      (fields, id) => toDoc({ id, ...fields, createdAt: now, updatedAt: now }),
      tx,
    );
  }

  async delete(id: string): Promise<boolean> {
    const current = await this.store.latest<Doc>(ENTITY.campaign, id);
    if (!current) return false;
    if ((await this.store.liveChildIds(ENTITY.run, id)).length > 0) throw new ReferenceViolationError('runs_campaign');
    const [topics, questions] = await Promise.all([
      this.store.liveChildIds(ENTITY.topic, id),
      this.store.liveChildIds(ENTITY.question, id),
    ]);
    const deleted = { deletedAt: new Date().toISOString() };
    await this.store.append([
      ...questions.map((q) => ({ entityType: ENTITY.question, entityId: q, parentId: id, eventType: 'deleted' as const, payload: deleted })),
      ...topics.map((t) => ({ entityType: ENTITY.topic, entityId: t, parentId: id, eventType: 'deleted' as const, payload: deleted })),
      { entityType: ENTITY.campaign, entityId: id, eventType: 'deleted', payload: deleted },
    ]);
    return true;
  }
}
