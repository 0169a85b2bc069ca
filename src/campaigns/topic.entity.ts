import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { CampaignEntity } from './campaign.entity';

@Entity({ name: 'topics' })
@Index('UQ_topics_campaign_title_key', ['campaignId', 'titleKey'], { unique: true })
export class TopicEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'campaign_id', type: 'uuid' })
  campaignId!: string;

  @ManyToOne(() => CampaignEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'campaign_id', foreignKeyConstraintName: 'FK_topics_campaign' })
  campaign?: CampaignEntity;

  @Column({ type: 'varchar', length: 300 })
  title!: string;

  /** Normalized title: one topic per title within a campaign. */
  @Column({ name: 'title_key', type: 'varchar', length: 300 })
  titleKey!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
