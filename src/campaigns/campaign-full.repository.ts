import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { chunk, quotedTable, sortedBy, uniqueBy, valuesClause } from '../core/database/bulk-sql';
import { translated } from '../core/database/db-errors';
import { newId } from '../core/database/ids';
import { jsonParam } from '../core/database/json-column';
import { managerOf, Tx } from '../core/database/transaction';
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

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
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

  async ensureMany(items: CampaignFields[], tx?: Tx): Promise<Map<string, string>> {
    const m = managerOf(this.dataSource, tx);
    const table = quotedTable(this.repo.metadata);
    const rows = sortedBy(
      uniqueBy(items, (c) => normalizeKey(c.name)).map((c) => ({ ...c, id: newId() })),
      (c) => normalizeKey(c.name),
    );
    for (const part of chunk(rows, 1000)) {
      const [values, params] = valuesClause(
        part.map((c) => [c.id, c.name, normalizeKey(c.name), c.productName, jsonParam(c.brandAliases), jsonParam(c.brandDomains), jsonParam(c.competitors)]),
      );
      await m.query(
        `INSERT INTO ${table} (id, name, name_key, product_name, brand_aliases, brand_domains, competitors) VALUES ${values} ON CONFLICT (name_key) DO NOTHING`,
        params,
      );
    }
    const found: { id: string; name_key: string }[] = await m.query(`SELECT id, name_key FROM ${table} WHERE name_key = ANY($1::text[])`, [
      rows.map((c) => normalizeKey(c.name)),
    ]);
    return new Map(found.map((r) => [r.name_key, r.id]));
  }

  async delete(id: string): Promise<boolean> {
    const result = await translated(this.repo.delete({ id }));
    return (result.affected ?? 0) > 0;
  }
}
