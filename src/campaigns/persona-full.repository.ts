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

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
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

  async ensureMany(items: PersonaFields[], tx?: Tx): Promise<Map<string, string>> {
    const m = managerOf(this.dataSource, tx);
    const table = quotedTable(this.repo.metadata);
    const key = (p: PersonaFields): string => normalizeKey(p.name);
    const rows = sortedBy(uniqueBy(items, key).map((p) => ({ ...p, id: newId() })), key);
    for (const part of chunk(rows, 1000)) {
      const [values, params] = valuesClause(part.map((p) => [p.id, p.name, key(p), p.role, p.domain, p.locale, p.tone, jsonParam(p.extra)]));
      await m.query(
        `INSERT INTO ${table} (id, name, name_key, role, domain, locale, tone, extra) VALUES ${values} ON CONFLICT (name_key) DO NOTHING`,
        params,
      );
    }
    const found: { id: string; name_key: string }[] = await m.query(`SELECT id, name_key FROM ${table} WHERE name_key = ANY($1::text[])`, [rows.map(key)]);
    return new Map(found.map((r) => [r.name_key, r.id]));
  }

  async delete(id: string): Promise<boolean> {
    const result = await translated(this.repo.delete({ id }));
    return (result.affected ?? 0) > 0;
  }
}
