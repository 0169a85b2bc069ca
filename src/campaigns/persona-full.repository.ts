import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { translated } from '../core/database/db-errors';
import { newId } from '../core/database/ids';
import type { Page, PageRequest } from '../core/pagination/pagination';
import { normalizeKey } from '../core/text/normalize';
import { PersonaEntity } from './persona.entity';
import { Persona, PersonaFields, PersonaRepository } from './persona.repository';

const toPersona = (e: PersonaEntity): Persona => ({
  id: e.id,
  name: e.name,
  role: e.role,
  domain: e.domain,
  locale: e.locale,
  tone: e.tone,
  extra: e.extra,
  createdAt: e.createdAt,
  updatedAt: e.updatedAt,
});

@Injectable()
export class PersonaFullRepository extends PersonaRepository {
  private readonly repo: Repository<PersonaEntity>;

  constructor(@InjectDataSource() dataSource: DataSource) {
    super();
    this.repo = dataSource.getRepository(PersonaEntity);
  }

  async create(fields: PersonaFields): Promise<Persona> {
    const e = this.repo.create({ ...fields, id: newId(), nameKey: normalizeKey(fields.name) });
    return toPersona(await translated(this.repo.save(e)));
  }

  async findById(id: string): Promise<Persona | null> {
    const e = await this.repo.findOneBy({ id });
    return e ? toPersona(e) : null;
  }

  async findByName(name: string): Promise<Persona | null> {
    const e = await this.repo.findOneBy({ nameKey: normalizeKey(name) });
    return e ? toPersona(e) : null;
  }

  async list(page: PageRequest): Promise<Page<Persona>> {
    const [rows, total] = await this.repo.findAndCount({ order: { id: 'ASC' }, take: page.limit, skip: page.offset });
    return { items: rows.map(toPersona), total, ...page };
  }

  async update(id: string, fields: Partial<PersonaFields>): Promise<Persona | null> {
    const e = await this.repo.findOneBy({ id });
    if (!e) return null;
    Object.assign(e, fields);
    if (fields.name !== undefined) e.nameKey = normalizeKey(fields.name);
    return toPersona(await translated(this.repo.save(e)));
  }

  async delete(id: string): Promise<boolean> {
    const result = await translated(this.repo.delete({ id }));
    return (result.affected ?? 0) > 0;
  }
}
