import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { translated } from '../core/database/db-errors';
import { newId } from '../core/database/ids';
import type { Page, PageRequest } from '../core/pagination/pagination';
import { MappingProfileEntity } from './mapping-profile.entity';
import { MappingProfile, MappingProfileRepository } from './mapping-profile.repository';
import type { ColumnMapping } from './spreadsheet/canonical-fields';

const toProfile = (e: MappingProfileEntity): MappingProfile => ({ id: e.id, name: e.name, mapping: e.mapping, createdAt: e.createdAt, updatedAt: e.updatedAt });

@Injectable()
export class MappingProfileFullRepository extends MappingProfileRepository {
  private readonly repo: Repository<MappingProfileEntity>;

  constructor(@InjectDataSource() dataSource: DataSource) {
    super();
    this.repo = dataSource.getRepository(MappingProfileEntity);
  }

  async create(name: string, mapping: ColumnMapping): Promise<MappingProfile> {
    return toProfile(await translated(this.repo.save(this.repo.create({ id: newId(), name, mapping: mapping as Record<string, string> }))));
  }

  async findByName(name: string): Promise<MappingProfile | null> {
    const e = await this.repo.findOneBy({ name });
    return e ? toProfile(e) : null;
  }

  async list(page: PageRequest): Promise<Page<MappingProfile>> {
    const [rows, total] = await this.repo.findAndCount({ order: { name: 'ASC' }, take: page.limit, skip: page.offset });
    return { items: rows.map(toProfile), total, ...page };
  }

  async delete(name: string): Promise<boolean> {
    return ((await this.repo.delete({ name })).affected ?? 0) > 0;
  }
}
