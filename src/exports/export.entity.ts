import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { BigIntColumn, TimestampColumn } from '../core/database/columns';
import { JsonColumn } from '../core/database/json-column';
import { RunEntity } from '../runs/run.entity';

export type ExportStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'expired';

@Entity({ name: 'exports' })
@Index('IDX_exports_run', ['runId', 'createdAt'])
// The sweep's question: which files have expired.
@Index('IDX_exports_expires', ['expiresAt'], { where: 'expires_at IS NOT NULL' })
export class ExportEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'run_id', type: 'uuid' })
  runId!: string;

  @ManyToOne(() => RunEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'run_id', foreignKeyConstraintName: 'FK_exports_run' })
  run?: RunEntity;

  @Column({ type: 'varchar', length: 16 })
  format!: string;

  @Column({ name: 'mapper_name', type: 'varchar', length: 64, nullable: true })
  mapperName!: string | null;

  /** Mapper configuration; secrets are stored masked. */
  @JsonColumn({ name: 'config_json' })
  configJson!: Record<string, unknown>;

  @Column({ type: 'varchar', length: 16 })
  status!: ExportStatus;

  @Column({ name: 'file_url', type: 'text', nullable: true })
  fileUrl!: string | null;

  @Column({ name: 'row_count', type: 'integer', nullable: true })
  rowCount!: number | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  /** The file's name in EXPORT_DIR (file exports). */
  @Column({ name: 'file_name', type: 'varchar', length: 255, nullable: true })
  fileName!: string | null;

  @BigIntColumn({ name: 'size_bytes', nullable: true })
  sizeBytes!: number | null;

  /** Options (bom, raw) and, for a mapper, each delivery's outcome. */
  @JsonColumn({ nullable: true })
  details!: Record<string, unknown> | null;

  /** When the file is deleted (EXPORT_TTL_SECONDS after it was written). */
  @TimestampColumn({ name: 'expires_at', nullable: true })
  expiresAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @TimestampColumn({ name: 'finished_at', nullable: true })
  finishedAt!: Date | null;
}
