import { Injectable } from '@nestjs/common';
import { CompatEventStore } from '../core/database/compat-event-store';
import { ENTITY } from '../core/database/compat-entity-types';
import { newId } from '../core/database/ids';
import type { Tx } from '../core/database/transaction';
import type { Page, PageRequest } from '../core/pagination/pagination';
import { Run, RunFields, RunPatch, RunRepository, RunStatus } from './run.repository';

type Doc = Omit<Run, 'createdAt' | 'updatedAt' | 'startedAt' | 'finishedAt'> & {
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
};

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);
const toDoc = (r: Run): Doc => ({ ...r, createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(), startedAt: iso(r.startedAt), finishedAt: iso(r.finishedAt) });
const revive = (d: Doc): Run => ({
  ...d,
  createdAt: new Date(d.createdAt),
  updatedAt: new Date(d.updatedAt),
  startedAt: d.startedAt ? new Date(d.startedAt) : null,
  finishedAt: d.finishedAt ? new Date(d.finishedAt) : null,
});

/** Compat mode: runs are `run` events (parent: the campaign); each state change appends a snapshot. */
@Injectable()
export class RunCompatRepository extends RunRepository {
  constructor(private readonly store: CompatEventStore) {
    super();
  }

  async create(fields: RunFields): Promise<Run> {
    const now = new Date();
    const run: Run = { ...fields, id: newId(), status: 'created', totalItems: 0, createdAt: now, updatedAt: now, startedAt: null, finishedAt: null };
    await this.store.append([{ entityType: ENTITY.run, entityId: run.id, parentId: run.campaignId, eventType: 'created', payload: toDoc(run) }]);
    return run;
  }

  async findById(id: string): Promise<Run | null> {
    const d = await this.store.latest<Doc>(ENTITY.run, id);
    return d ? revive(d) : null;
  }

  async list(filter: { campaignId?: string; status?: RunStatus }, page: PageRequest): Promise<Page<Run>> {
    const p = await this.store.list<Doc>(ENTITY.run, { parentId: filter.campaignId, where: filter.status ? { status: filter.status } : {}, page });
    return { ...p, items: p.items.map(revive) };
  }

  async transition(id: string, from: readonly RunStatus[], to: RunStatus, patch: RunPatch, tx?: Tx): Promise<Run | null> {
    // The log has no conditional update: callers hold the run's Redis lock (see RunRepository).
    const current = await this.findById(id);
    if (!current || !from.includes(current.status)) return null;
    const next: Run = { ...current, ...patch, status: to, updatedAt: new Date() };
    await this.store.append([{ entityType: ENTITY.run, entityId: id, parentId: current.campaignId, eventType: 'status_changed', payload: toDoc(next) }], tx);
    return next;
  }

  async runningIds(): Promise<string[]> {
    const ids: string[] = [];
    for (let offset = 0; ; offset += 500) {
      const p = await this.store.list<Doc>(ENTITY.run, { where: { status: 'running' }, page: { limit: 500, offset } });
      ids.push(...p.items.map((r) => r.id));
      if (p.items.length < 500) return ids;
    }
  }
}
