import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { translated } from '../core/database/db-errors';
import { newId } from '../core/database/ids';
import type { Page, PageRequest } from '../core/pagination/pagination';
import { normalizeKey } from '../core/text/normalize';
import { TopicEntity } from './topic.entity';
import { Topic, TopicFields, TopicRepository } from './topic.repository';

const toTopic = (e: TopicEntity): Topic => ({
  id: e.id,
  campaignId: e.campaignId,
  title: e.title,
  description: e.description,
  createdAt: e.createdAt,
  updatedAt: e.updatedAt,
});

@Injectable()
export class TopicFullRepository extends TopicRepository {
  private readonly repo: Repository<TopicEntity>;

  constructor(@InjectDataSource() dataSource: DataSource) {
    super();
    this.repo = dataSource.getRepository(TopicEntity);
  }

  async create(campaignId: string, fields: TopicFields): Promise<Topic> {
    const e = this.repo.create({ ...fields, id: newId(), campaignId, titleKey: normalizeKey(fields.title) });
    return toTopic(await translated(this.repo.save(e)));
  }

  async findById(campaignId: string, id: string): Promise<Topic | null> {
    const e = await this.repo.findOneBy({ id, campaignId });
    return e ? toTopic(e) : null;
  }

  async listByCampaign(campaignId: string, page: PageRequest): Promise<Page<Topic>> {
    const [rows, total] = await this.repo.findAndCount({ where: { campaignId }, order: { id: 'ASC' }, take: page.limit, skip: page.offset });
    return { items: rows.map(toTopic), total, ...page };
  }

  async update(campaignId: string, id: string, fields: Partial<TopicFields>): Promise<Topic | null> {
    const e = await this.repo.findOneBy({ id, campaignId });
    if (!e) return null;
    Object.assign(e, fields);
    if (fields.title !== undefined) e.titleKey = normalizeKey(fields.title);
    return toTopic(await translated(this.repo.save(e)));
  }

  async delete(campaignId: string, id: string): Promise<boolean> {
    const result = await translated(this.repo.delete({ id, campaignId }));
    return (result.affected ?? 0) > 0;
  }
}
