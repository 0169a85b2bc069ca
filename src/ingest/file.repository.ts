import type { Tx } from '../core/database/transaction';

export interface FileRecord {
  id: string;
  type: string;
  name: string;
  contentType: string | null;
  sizeBytes: number;
  sha256: string;
  campaignId: string | null;
  parsedSummary: Record<string, unknown>;
  uploadedAt: Date;
}

export type NewFileRecord = Omit<FileRecord, 'id' | 'uploadedAt'>;

/** Metadata of uploaded files (the bytes are not kept), full schema or compat mode. */
export abstract class FileRepository {
  abstract create(file: NewFileRecord, tx?: Tx): Promise<FileRecord>;
}
