import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { CampaignEntity } from '../campaigns/campaign.entity';
import { TimestampColumn } from '../core/database/columns';
import { JsonColumn } from '../core/database/json-column';

export type RunStatus = 'created' | 'running' | 'completed' | 'completed_with_errors' | 'cancelled';

@Entity({ name: 'runs' })
@Index('IDX_runs_campaign_created', ['campaignId', 'createdAt'])
@Index('IDX_runs_status', ['status'])
export class RunEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'campaign_id', type: 'uuid' })
  campaignId!: string;

  /** A campaign with runs cannot be deleted: results are never dropped as a side effect. */
  @ManyToOne(() => CampaignEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'campaign_id', foreignKeyConstraintName: 'FK_runs_campaign' })
  campaign?: CampaignEntity;

  @Column({ type: 'varchar', length: 200, nullable: true })
  label!: string | null;

  /** [{provider, model, settings}] as requested. */
  @JsonColumn({ name: 'provider_settings' })
  providerSettings!: unknown[];

  @Column({ type: 'integer', default: 1 })
  samples!: number;

  @Column({ name: 'prompt_version', type: 'varchar', length: 50 })
  promptVersion!: string;

  /** {topic_ids, persona_ids} */
  @JsonColumn()
  filters!: Record<string, unknown>;

  @Column({ type: 'varchar', length: 32 })
  status!: RunStatus;

  /** Items materialized at start; the progress denominator. */
  @Column({ name: 'total_items', type: 'integer', default: 0 })
  totalItems!: number;

  /** The schedule that created it, if any (scheduled recurring runs). */
  @Column({ name: 'schedule_id', type: 'uuid', nullable: true })
  scheduleId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @TimestampColumn({ name: 'started_at', nullable: true })
  startedAt!: Date | null;

  @TimestampColumn({ name: 'finished_at', nullable: true })
  finishedAt!: Date | null;
}
