import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { QuestionEntity } from '../campaigns/question.entity';
import { TimestampColumn } from '../core/database/columns';
import { RunEntity } from './run.entity';

export type RunItemStatus = 'pending' | 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

@Entity({ name: 'run_items' })
@Index('IDX_run_items_run_status', ['runId', 'status'])
@Index('IDX_run_items_run_provider', ['runId', 'provider'])
@Index('IDX_run_items_question', ['questionId'])
// A run's items in id (creation) order: the items list pages on it.
@Index('IDX_run_items_run_order', ['runId', 'id'])
// The run summary's latest errors: only items that have one are in it.
@Index('IDX_run_items_errors', ['runId', 'updatedAt'], { where: 'last_error IS NOT NULL' })
export class RunItemEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'run_id', type: 'uuid' })
  runId!: string;

  @ManyToOne(() => RunEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'run_id', foreignKeyConstraintName: 'FK_run_items_run' })
  run?: RunEntity;

  @Column({ name: 'question_id', type: 'uuid' })
  questionId!: string;

  @ManyToOne(() => QuestionEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'question_id', foreignKeyConstraintName: 'FK_run_items_question' })
  question?: QuestionEntity;

  @Column({ type: 'varchar', length: 32 })
  provider!: string;

  @Column({ type: 'varchar', length: 128 })
  model!: string;

  /** Index of the provider setting in the run's provider_settings. */
  @Column({ name: 'setting_index', type: 'smallint', default: 0 })
  settingIndex!: number;

  @Column({ name: 'sample_index', type: 'integer', default: 0 })
  sampleIndex!: number;

  /** Hash of run, question, provider setting, prompt version and sample: one paid call per key. */
  @Index('UQ_run_items_idempotency_key', { unique: true })
  @Column({ name: 'idempotency_key', type: 'varchar', length: 128 })
  idempotencyKey!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: RunItemStatus;

  @Column({ name: 'attempt_count', type: 'integer', default: 0 })
  attemptCount!: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @TimestampColumn({ name: 'started_at', nullable: true })
  startedAt!: Date | null;

  @TimestampColumn({ name: 'finished_at', nullable: true })
  finishedAt!: Date | null;
}
