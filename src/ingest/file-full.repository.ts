import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { newId } from '../core/database/ids';
import { managerOf, Tx } from '../core/database/transaction';
import { FileEntity } from './file.entity';
import { FileRecord, FileRepository, NewFileRecord } from './file.repository';

@Injectable()
export class FileFullRepository extends FileRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  async create(file: NewFileRecord, tx?: Tx): Promise<FileRecord> {
    const repo = managerOf(this.dataSource, tx).getRepository(FileEntity);
    const saved = await repo.save(
      repo.create({
        id: newId(),
        type: file.type,
        name: file.name,
        contentType: file.contentType,
        sizeBytes: file.sizeBytes,
        sha256: file.sha256,
        campaignId: file.campaignId,
        parsedSummaryJson: file.parsedSummary,
        urlOrPath: null,
      }),
    );
    return { ...file, id: saved.id, uploadedAt: saved.uploadedAt };
  }
}
