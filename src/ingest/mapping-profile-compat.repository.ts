import { Injectable } from '@nestjs/common';
import { ENTITY } from '../core/database/compat-entity-types';
import { CompatEventStore, fromSnapshot, Snapshot, toSnapshot } from '../core/database/compat-event-store';
import { newId } from '../core/database/ids';
import type { Page, PageRequest } from '../core/pagination/pagination';
import { sha256Hex } from '../core/text/normalize';
import { MappingProfile, MappingProfileRepository } from './mapping-profile.repository';
import type { ColumnMapping } from './spreadsheet/canonical-fields';

type Doc = Snapshot<MappingProfile>;
const nameKey = (name: string): string => sha256Hex('mapping_profile', name);

@Injectable()
export class MappingProfileCompatRepository extends MappingProfileRepository {
  constructor(private readonly store: CompatEventStore) {
    super();
  }

  async create(name: string, mapping: ColumnMapping): Promise<MappingProfile> {
    const now = new Date();
    const profile: MappingProfile = { id: newId(), name, mapping, createdAt: now, updatedAt: now };
    await this.store.append([{ entityType: ENTITY.mappingProfile, entityId: profile.id, eventType: 'created', uniqueKey: nameKey(name), payload: toSnapshot(profile) }]);
    return profile;
  }

  async findByName(name: string): Promise<MappingProfile | null> {
    const d = await this.store.findByUniqueKey<Doc>(ENTITY.mappingProfile, nameKey(name));
    return d ? fromSnapshot<MappingProfile>(d) : null;
  }

  async list(page: PageRequest): Promise<Page<MappingProfile>> {
    const p = await this.store.list<Doc>(ENTITY.mappingProfile, { page });
    return { ...p, items: p.items.map((d) => fromSnapshot<MappingProfile>(d)) };
  }

  async delete(name: string): Promise<boolean> {
    const current = await this.findByName(name);
    if (!current) return false;
    await this.store.append([{ entityType: ENTITY.mappingProfile, entityId: current.id, eventType: 'deleted', payload: { deletedAt: new Date().toISOString() } }]);
    return true;
  }
}
