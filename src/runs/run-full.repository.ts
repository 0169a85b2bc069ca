import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, FindOptionsWhere, In, Repository } from 'typeorm';
import { translated } from '../core/database/db-errors';
import { newId } from '../core/database/ids';
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

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
    this.repo = dataSource.getRepository(RunEntity);
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

  async findById(id: string): Promise<Run | null> {
    const e = await this.repo.findOneBy({ id });
    return e ? toRun(e) : null;
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
