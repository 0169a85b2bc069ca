import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { translated } from '../core/database/db-errors';
import { newId } from '../core/database/ids';
import type { Page, PageRequest } from '../core/pagination/pagination';
import { ScheduleEntity } from './schedule.entity';
import { Schedule, ScheduleFields, ScheduleRepository } from './schedule.repository';

const toSchedule = (e: ScheduleEntity): Schedule => ({
  id: e.id,
  campaignId: e.campaignId,
  cron: e.cron,
  timezone: e.timezone,
  runTemplate: e.runTemplate,
  lastRunAt: e.lastRunAt,
  lastRunId: e.lastRunId,
  createdAt: e.createdAt,
  updatedAt: e.updatedAt,
});

@Injectable()
export class ScheduleFullRepository extends ScheduleRepository {
  private readonly repo: Repository<ScheduleEntity>;

  constructor(@InjectDataSource() dataSource: DataSource) {
    super();
    this.repo = dataSource.getRepository(ScheduleEntity);
  }

  async create(fields: ScheduleFields): Promise<Schedule> {
    return toSchedule(await translated(this.repo.save(this.repo.create({ ...fields, id: newId(), lastRunAt: null, lastRunId: null }))));
  }

  async findById(id: string): Promise<Schedule | null> {
    const e = await this.repo.findOneBy({ id });
    return e ? toSchedule(e) : null;
  }

  async listByCampaign(campaignId: string, page: PageRequest): Promise<Page<Schedule>> {
    const [rows, total] = await this.repo.findAndCount({ where: { campaignId }, order: { id: 'ASC' }, take: page.limit, skip: page.offset });
    return { items: rows.map(toSchedule), total, ...page };
  }

  async all(): Promise<Schedule[]> {
    return (await this.repo.find({ order: { id: 'ASC' } })).map(toSchedule);
  }

  async recordRun(id: string, runId: string, at: Date): Promise<void> {
    await this.repo.update({ id }, { lastRunId: runId, lastRunAt: at });
  }

  async delete(id: string): Promise<boolean> {
    return ((await this.repo.delete({ id })).affected ?? 0) > 0;
  }
}
