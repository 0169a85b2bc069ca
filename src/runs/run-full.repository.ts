import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, FindOptionsWhere, In, Repository } from 'typeorm';
import { quotedTable } from '../core/database/bulk-sql';
import { translated } from '../core/database/db-errors';
import { newId } from '../core/database/ids';
import { parseJson } from '../core/database/json-column';
import { managerOf, Tx } from '../core/database/transaction';
import type { Page, PageRequest } from '../core/pagination/pagination';
import { RunEntity } from './run.entity';
import { Run, RunFields, RunFilters, RunPatch, RunRepository, RunStatus, ProviderSettingRecord } from './run.repository';

const toRun = (e: RunEntity): Run => ({
  id: e.id,
  campaignId: e.campaignId,
  label: e.label,
  providerSettings: e.providerSettings as ProviderSettingRecord[],
  samples: e.samples,
  promptVersion: e.promptVersion,
  filters: e.filters as unknown as RunFilters,
  status: e.status,
  totalItems: e.totalItems,
  scheduleId: e.scheduleId,
  createdAt: e.createdAt,
  updatedAt: e.updatedAt,
  startedAt: e.startedAt,
  finishedAt: e.finishedAt,
});

@Injectable()
export class RunFullRepository extends RunRepository {
  private readonly repo: Repository<RunEntity>;
  private readonly table: string;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
    this.repo = dataSource.getRepository(RunEntity);
    this.table = quotedTable(dataSource.getMetadata(RunEntity));
  }

  async create(fields: RunFields): Promise<Run> {
    const e = this.repo.create({
      ...fields,
      filters: fields.filters as unknown as Record<string, unknown>,
      id: newId(),
      status: 'created',
      totalItems: 0,
      startedAt: null,
      finishedAt: null,
    });
    return toRun(await translated(this.repo.save(e)));
  }

  /**
   * One run by id. Every summary request and every item a worker runs reads it, so it is one plain
   * statement: TypeORM's query builder took 9% of a summary request's CPU in bench:api's profile.
   */
  async findById(id: string): Promise<Run | null> {
    const rows = await this.dataSource.query<Record<string, unknown>[]>(
      `SELECT id, campaign_id, label, provider_settings, samples, prompt_version, filters, status, total_items, schedule_id, created_at, updated_at, started_at, finished_at
       FROM ${this.table} WHERE id = $1`,
      [id],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      id: String(r.id),
      campaignId: String(r.campaign_id),
      label: (r.label as string | null) ?? null,
      providerSettings: parseJson<ProviderSettingRecord[]>(r.provider_settings),
      samples: Number(r.samples),
      promptVersion: String(r.prompt_version),
      filters: parseJson<RunFilters>(r.filters),
      status: r.status as RunStatus,
      totalItems: Number(r.total_items),
      scheduleId: (r.schedule_id as string | null) ?? null,
      createdAt: r.created_at as Date,
      updatedAt: r.updated_at as Date,
      startedAt: (r.started_at as Date | null) ?? null,
      finishedAt: (r.finished_at as Date | null) ?? null,
    };
  }

  async list(filter: { campaignId?: string; status?: RunStatus }, page: PageRequest): Promise<Page<Run>> {
    const where: FindOptionsWhere<RunEntity> = {};
    if (filter.campaignId) where.campaignId = filter.campaignId;
    if (filter.status) where.status = filter.status;
    const [rows, total] = await this.repo.findAndCount({ where, order: { id: 'ASC' }, take: page.limit, skip: page.offset });
    return { items: rows.map(toRun), total, ...page };
  }

  async transition(id: string, from: readonly RunStatus[], to: RunStatus, patch: RunPatch, tx?: Tx): Promise<Run | null> {
    const repo = managerOf(this.dataSource, tx).getRepository(RunEntity);
    // One conditional UPDATE: of two concurrent transitions only one matches.
    const result = await repo
      .createQueryBuilder()
      .update()
      .set({ ...patch, status: to })
      .where({ id, status: In([...from]) })
      .returning('*')
      .execute();
    const raw = (result.raw as Record<string, unknown>[])[0];
    if (!raw) return null;
    const e = await repo.findOneByOrFail({ id });
    return toRun(e);
  }

  async runningIds(): Promise<string[]> {
    const rows = await this.repo.find({ select: { id: true }, where: { status: 'running' } });
    return rows.map((r) => r.id);
  }
}
