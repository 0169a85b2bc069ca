import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { chunk, quotedTable, sortedBy, uniqueBy, valuesClause } from '../core/database/bulk-sql';
import { translated } from '../core/database/db-errors';
import { newId } from '../core/database/ids';
import { managerOf, Tx } from '../core/database/transaction';
import type { Page, PageRequest } from '../core/pagination/pagination';
import { normalizeKey } from '../core/text/normalize';
import { TopicEntity } from './topic.entity';
import { Topic, TopicFields, topicKey, TopicRepository } from './topic.repository';

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

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
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

  async ensureMany(items: (TopicFields & { campaignId: string })[], tx?: Tx): Promise<Map<string, string>> {
    const m = managerOf(this.dataSource, tx);
    const table = quotedTable(this.repo.metadata);
    const key = (t: { campaignId: string; title: string }): string => topicKey(t.campaignId, t.title);
    const rows = sortedBy(uniqueBy(items, key).map((t) => ({ ...t, id: newId() })), key);
    for (const part of chunk(rows, 2000)) {
      const [values, params] = valuesClause(part.map((t) => [t.id, t.campaignId, t.title, normalizeKey(t.title), t.description]));
      await m.query(
        `INSERT INTO ${table} (id, campaign_id, title, title_key, description) VALUES ${values} ON CONFLICT (campaign_id, title_key) DO NOTHING`,
        params,
      );
    }
    const found: { id: string; campaign_id: string; title_key: string }[] = await m.query(
      `SELECT t.id, t.campaign_id, t.title_key FROM ${table} t
       JOIN unnest($1::uuid[], $2::text[]) AS k(campaign_id, title_key) ON k.campaign_id = t.campaign_id AND k.title_key = t.title_key`,
      [rows.map((t) => t.campaignId), rows.map((t) => normalizeKey(t.title))],
    );
    return new Map(found.map((r) => [`${r.campaign_id}\u0000${r.title_key}`, r.id]));
  }

  async delete(campaignId: string, id: string): Promise<boolean> {
    const result = await translated(this.repo.delete({ id, campaignId }));
    return (result.affected ?? 0) > 0;
  }
}
