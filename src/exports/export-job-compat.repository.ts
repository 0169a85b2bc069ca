import { Injectable } from '@nestjs/common';
import { CompatEventStore } from '../core/database/compat-event-store';
import { ENTITY } from '../core/database/compat-entity-types';
import { ExportJob, ExportJobRepository, ExportOutcome, NewExportJob } from './export-job.repository';

type Doc = Omit<ExportJob, 'createdAt' | 'finishedAt' | 'expiresAt'> & { createdAt: string; finishedAt: string | null; expiresAt: string | null };

const toDoc = (j: ExportJob): Doc => ({ ...j, createdAt: j.createdAt.toISOString(), finishedAt: j.finishedAt?.toISOString() ?? null, expiresAt: j.expiresAt?.toISOString() ?? null });
const revive = (d: Doc): ExportJob => ({ ...d, createdAt: new Date(d.createdAt), finishedAt: d.finishedAt ? new Date(d.finishedAt) : null, expiresAt: d.expiresAt ? new Date(d.expiresAt) : null });

/**
 * Compat mode: export jobs are `export` events (parent: the run); the latest is the job's state.
 * An export changes state three or four times in its life, so the append-only log suits it.
 */
@Injectable()
export class ExportJobCompatRepository extends ExportJobRepository {
  constructor(private readonly store: CompatEventStore) {
    super();
  }

  private async put(j: ExportJob, eventType: 'created' | 'status_changed'): Promise<void> {
    await this.store.append([{ entityType: ENTITY.export, entityId: j.id, parentId: j.runId, eventType, payload: toDoc(j) }]);
  }

  async create(job: NewExportJob): Promise<ExportJob> {
    const j: ExportJob = { ...job, status: 'queued', fileName: null, rowCount: null, sizeBytes: null, error: null, details: null, createdAt: new Date(), finishedAt: null, expiresAt: null };
    await this.put(j, 'created');
    return j;
  }

  async findById(id: string): Promise<ExportJob | null> {
    const d = await this.store.latest<Doc>(ENTITY.export, id);
    return d ? revive(d) : null;
  }

  async markRunning(id: string): Promise<boolean> {
    const j = await this.findById(id);
    if (!j || j.status !== 'queued') return false;
    await this.put({ ...j, status: 'running' }, 'status_changed');
    return true;
  }

  async finish(id: string, o: ExportOutcome): Promise<void> {
    const j = await this.findById(id);
    if (!j) return;
    await this.put(
      { ...j, status: o.status, fileName: o.fileName ?? null, rowCount: o.rowCount, sizeBytes: o.sizeBytes ?? null, error: o.error, details: o.details ?? null, finishedAt: new Date(), expiresAt: o.expiresAt ?? null },
      'status_changed',
    );
  }

  async expired(now: Date, limit: number): Promise<ExportJob[]> {
    const out: ExportJob[] = [];
    // Export events are few (a handful per run); the succeeded ones are read a page at a time.
    for (let offset = 0; out.length < limit; offset += 500) {
      const p = await this.store.list<Doc>(ENTITY.export, { where: { status: 'succeeded' }, page: { limit: 500, offset } });
      for (const d of p.items) if (d.expiresAt && new Date(d.expiresAt) < now && out.length < limit) out.push(revive(d));
      if (p.items.length < 500) break;
    }
    return out;
  }

  async markExpired(id: string): Promise<void> {
    const j = await this.findById(id);
    if (!j || j.status !== 'succeeded') return;
    await this.put({ ...j, status: 'expired' }, 'status_changed');
  }

  async unfinished(before: Date, limit: number): Promise<ExportJob[]> {
    const out: ExportJob[] = [];
    for (const status of ['queued', 'running']) {
      for (let offset = 0; out.length < limit; offset += 500) {
        const p = await this.store.list<Doc>(ENTITY.export, { where: { status }, page: { limit: 500, offset } });
        for (const d of p.items) if (new Date(d.createdAt) < before && out.length < limit) out.push(revive(d));
        if (p.items.length < 500) break;
      }
    }
    return out;
  }

  async requeue(id: string): Promise<void> {
    const j = await this.findById(id);
    if (!j || j.status !== 'running') return;
    await this.put({ ...j, status: 'queued' }, 'status_changed');
  }
}
