import { Injectable } from '@nestjs/common';
import { CompatEventStore } from '../core/database/compat-event-store';
import { ENTITY } from '../core/database/compat-entity-types';
import { newId } from '../core/database/ids';
import type { Page, PageRequest } from '../core/pagination/pagination';
import { Schedule, ScheduleFields, ScheduleRepository } from './schedule.repository';

type Doc = Omit<Schedule, 'createdAt' | 'updatedAt' | 'lastRunAt'> & { createdAt: string; updatedAt: string; lastRunAt: string | null };

const toDoc = (s: Schedule): Doc => ({ ...s, createdAt: s.createdAt.toISOString(), updatedAt: s.updatedAt.toISOString(), lastRunAt: s.lastRunAt?.toISOString() ?? null });
const revive = (d: Doc): Schedule => ({ ...d, createdAt: new Date(d.createdAt), updatedAt: new Date(d.updatedAt), lastRunAt: d.lastRunAt ? new Date(d.lastRunAt) : null });

/** Compat mode: schedules are `schedule` events (parent: the campaign). */
@Injectable()
export class ScheduleCompatRepository extends ScheduleRepository {
  constructor(private readonly store: CompatEventStore) {
    super();
  }

  async create(fields: ScheduleFields): Promise<Schedule> {
    const now = new Date();
    const s: Schedule = { ...fields, id: newId(), lastRunAt: null, lastRunId: null, createdAt: now, updatedAt: now };
    await this.store.append([{ entityType: ENTITY.schedule, entityId: s.id, parentId: s.campaignId, eventType: 'created', payload: toDoc(s) }]);
    return s;
  }

  async findById(id: string): Promise<Schedule | null> {
    const d = await this.store.latest<Doc>(ENTITY.schedule, id);
    return d ? revive(d) : null;
  }

  async listByCampaign(campaignId: string, page: PageRequest): Promise<Page<Schedule>> {
    const p = await this.store.list<Doc>(ENTITY.schedule, { parentId: campaignId, page });
    return { ...p, items: p.items.map(revive) };
  }

  async all(): Promise<Schedule[]> {
    const out: Schedule[] = [];
    for (let offset = 0; ; offset += 500) {
      const p = await this.store.list<Doc>(ENTITY.schedule, { page: { limit: 500, offset } });
      out.push(...p.items.map(revive));
      if (p.items.length < 500) return out;
    }
  }

  async recordRun(id: string, runId: string, at: Date): Promise<void> {
    const s = await this.findById(id);
    if (!s) return;
    const next = { ...s, lastRunId: runId, lastRunAt: at, updatedAt: new Date() };
    await this.store.append([{ entityType: ENTITY.schedule, entityId: id, parentId: s.campaignId, eventType: 'updated', payload: toDoc(next) }]);
  }

  async delete(id: string): Promise<boolean> {
    const s = await this.findById(id);
    if (!s) return false;
    await this.store.append([{ entityType: ENTITY.schedule, entityId: id, parentId: s.campaignId, eventType: 'deleted', payload: { deletedAt: new Date().toISOString() } }]);
    return true;
  }
}
