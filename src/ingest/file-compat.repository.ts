import { Injectable } from '@nestjs/common';
import { ENTITY } from '../core/database/compat-entity-types';
import { CompatEventStore } from '../core/database/compat-event-store';
import { newId } from '../core/database/ids';
import type { Tx } from '../core/database/transaction';
import { FileRecord, FileRepository, NewFileRecord } from './file.repository';

@Injectable()
export class FileCompatRepository extends FileRepository {
  constructor(private readonly store: CompatEventStore) {
    super();
  }

  async create(file: NewFileRecord, tx?: Tx): Promise<FileRecord> {
    const record: FileRecord = { ...file, id: newId(), uploadedAt: new Date() };
    await this.store.append(
      [{ entityType: ENTITY.file, entityId: record.id, parentId: file.campaignId, eventType: 'created', payload: { ...record, uploadedAt: record.uploadedAt.toISOString() } }],
      tx,
    );
    return record;
  }
}
