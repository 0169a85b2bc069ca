import { Injectable } from '@nestjs/common';
import { CompatEventStore, fromSnapshot, Snapshot, toSnapshot } from '../core/database/compat-event-store';
import { ReferenceViolationError } from '../core/database/db-errors';
import { newId } from '../core/database/ids';
import type { Tx } from '../core/database/transaction';
import type { Page, PageRequest } from '../core/pagination/pagination';
import { normalizeKey, sha256Hex } from '../core/text/normalize';
import { ENTITY } from '../core/database/compat-entity-types';
import { Persona, PersonaFields, PersonaRepository } from './persona.repository';

type Doc = Snapshot<Persona>;

const revive = (d: Doc): Persona => fromSnapshot<Persona>(d);
const toDoc = (x: Persona): Doc => toSnapshot(x);
const nameKey = (name: string): string => sha256Hex(normalizeKey(name));

@Injectable()
export class PersonaCompatRepository extends PersonaRepository {
  constructor(private readonly store: CompatEventStore) {
    super();
  }

  async create(fields: PersonaFields): Promise<Persona> {
    const now = new Date();
    const persona: Persona = { id: newId(), ...fields, createdAt: now, updatedAt: now };
    await this.store.append([
      { entityType: ENTITY.persona, entityId: persona.id, eventType: 'created', uniqueKey: nameKey(persona.name), payload: toDoc(persona) },
    ]);
    return persona;
  }

  async findById(id: string): Promise<Persona | null> {
    const d = await this.store.latest<Doc>(ENTITY.persona, id);
    return d ? revive(d) : null;
  }

  async findByName(name: string): Promise<Persona | null> {
    const d = await this.store.findByUniqueKey<Doc>(ENTITY.persona, nameKey(name));
    return d ? revive(d) : null;
  }

  async list(page: PageRequest): Promise<Page<Persona>> {
    const p = await this.store.list<Doc>(ENTITY.persona, { page });
    return { ...p, items: p.items.map(revive) };
  }

  async update(id: string, fields: Partial<PersonaFields>): Promise<Persona | null> {
    const current = await this.findById(id);
    if (!current) return null;
    const next: Persona = { ...current, ...fields, updatedAt: new Date() };
    await this.store.append([
      {
        entityType: ENTITY.persona,
        entityId: id,
        eventType: 'updated',
        uniqueKey: fields.name !== undefined ? nameKey(next.name) : undefined,
        payload: toDoc(next),
      },
    ]);
    return next;
  }

  ensureMany(items: PersonaFields[], tx?: Tx): Promise<Map<string, string>> {
    const now = new Date();
    return this.store.ensureMany(
      ENTITY.persona,
      items,
      { key: (p) => normalizeKey(p.name), uniqueKey: (p) => nameKey(p.name) },
      (fields, id) => toDoc({ id, ...fields, createdAt: now, updatedAt: now }),
      tx,
    );
  }

  async delete(id: string): Promise<boolean> {
    if (!(await this.findById(id))) return false;
    if (await this.store.anyLiveWhere(ENTITY.question, 'personaId', id)) throw new ReferenceViolationError('questions_persona');
    await this.store.append([{ entityType: ENTITY.persona, entityId: id, eventType: 'deleted', payload: { deletedAt: new Date().toISOString() } }]);
    return true;
  }
}
