import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { CampaignEntity } from '../campaigns/campaign.entity';
import { TimestampColumn } from '../core/database/columns';
import { JsonColumn } from '../core/database/json-column';

/**
 * A campaign's recurring run: a cron pattern and the run's saved settings. The database holds it;
 * the worker mirrors it into a BullMQ job scheduler (and again after Redis lost its memory).
 */
@Entity({ name: 'schedules' })
@Index('IDX_schedules_campaign', ['campaignId', 'createdAt'])
export class ScheduleEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'campaign_id', type: 'uuid' })
  campaignId!: string;

  @ManyToOne(() => CampaignEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'campaign_id', foreignKeyConstraintName: 'FK_schedules_campaign' })
  campaign?: CampaignEntity;

  @Column({ type: 'varchar', length: 120 })
  cron!: string;

  @Column({ type: 'varchar', length: 64, default: 'UTC' })
  timezone!: string;

  /** {label, providers, samples, prompt_version, filters}: what each run is created with. */
  @JsonColumn({ name: 'run_template' })
  runTemplate!: Record<string, unknown>;

  @TimestampColumn({ name: 'last_run_at', nullable: true })
  lastRunAt!: Date | null;

  @Column({ name: 'last_run_id', type: 'uuid', nullable: true })
  lastRunId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
