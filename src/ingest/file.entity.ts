import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { BigIntColumn, TimestampColumn } from '../core/database/columns';
import { JsonColumn } from '../core/database/json-column';

/** An uploaded file's metadata (the bytes are not kept). */
@Entity({ name: 'files' })
@Index('IDX_files_sha256', ['sha256'])
export class FileEntity {
  @PrimaryColumn('uuid')
  id!: string;

  /** xlsx, xls, ods, csv */
  @Column({ type: 'varchar', length: 16 })
  type!: string;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ name: 'url_or_path', type: 'text', nullable: true })
  urlOrPath!: string | null;

  @Column({ name: 'content_type', type: 'varchar', length: 255, nullable: true })
  contentType!: string | null;

  @BigIntColumn({ name: 'size_bytes' })
  sizeBytes!: number;

  @Column({ type: 'varchar', length: 64 })
  sha256!: string;

  @Column({ name: 'campaign_id', type: 'uuid', nullable: true })
  campaignId!: string | null;

  /** {rows, mapping, unmapped_headers, imported, skipped, errors} */
  @JsonColumn({ name: 'parsed_summary_json' })
  parsedSummaryJson!: Record<string, unknown>;

  @TimestampColumn({ name: 'uploaded_at', default: () => 'now()' })
  uploadedAt!: Date;
}
