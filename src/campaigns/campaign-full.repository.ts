import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { translated } from '../core/database/db-errors';
import { newId } from '../core/database/ids';
import type { Page, PageRequest } from '../core/pagination/pagination';
import { normalizeKey } from '../core/text/normalize';
import { CampaignEntity } from './campaign.entity';
import { Campaign, CampaignFields, CampaignRepository } from './campaign.repository';

const toCampaign = (e: CampaignEntity): Campaign => ({
  id: e.id,
  name: e.name,
  productName: e.productName,
  brandAliases: e.brandAliases,
  brandDomains: e.brandDomains,
  competitors: e.competitors,
  createdAt: e.createdAt,
  updatedAt: e.updatedAt,
});

@Injectable()
export class CampaignFullRepository extends CampaignRepository {
  private readonly repo: Repository<CampaignEntity>;

  constructor(@InjectDataSource() dataSource: DataSource) {
    super();
    this.repo = dataSource.getRepository(CampaignEntity);
  }

  async create(fields: CampaignFields): Promise<Campaign> {
    const entity = this.repo.create({ ...fields, id: newId(), nameKey: normalizeKey(fields.name) });
    return toCampaign(await translated(this.repo.save(entity)));
  }

  async findById(id: string): Promise<Campaign | null> {
    const e = await this.repo.findOneBy({ id });
    return e ? toCampaign(e) : null;
  }

  async findByName(name: string): Promise<Campaign | null> {
    const e = await this.repo.findOneBy({ nameKey: normalizeKey(name) });
    return e ? toCampaign(e) : null;
  }

  async list(page: PageRequest): Promise<Page<Campaign>> {
    const [rows, total] = await this.repo.findAndCount({ order: { id: 'ASC' }, take: page.limit, skip: page.offset });
    return { items: rows.map(toCampaign), total, ...page };
  }

  async update(id: string, fields: Partial<CampaignFields>): Promise<Campaign | null> {
    const e = await this.repo.findOneBy({ id });
    if (!e) return null;
    Object.assign(e, fields);
    if (fields.name !== undefined) e.nameKey = normalizeKey(fields.name);
    return toCampaign(await translated(this.repo.save(e)));
  }

  async delete(id: string): Promise<boolean> {
    const result = await translated(this.repo.delete({ id }));
    return (result.affected ?? 0) > 0;
  }
}
