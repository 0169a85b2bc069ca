import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { JsonColumn } from '../core/database/json-column';
import { CampaignEntity } from './campaign.entity';
import { PersonaEntity } from './persona.entity';
import { TopicEntity } from './topic.entity';

@Entity({ name: 'questions' })
@Index('IDX_questions_campaign_topic', ['campaignId', 'topicId'])
@Index('IDX_questions_campaign_persona', ['campaignId', 'personaId'])
export class QuestionEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'campaign_id', type: 'uuid' })
  campaignId!: string;

  @ManyToOne(() => CampaignEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'campaign_id', foreignKeyConstraintName: 'FK_questions_campaign' })
  campaign?: CampaignEntity;

  @Column({ name: 'topic_id', type: 'uuid', nullable: true })
  topicId!: string | null;

  @ManyToOne(() => TopicEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'topic_id', foreignKeyConstraintName: 'FK_questions_topic' })
  topic?: TopicEntity;

  @Column({ name: 'persona_id', type: 'uuid', nullable: true })
  personaId!: string | null;

  @ManyToOne(() => PersonaEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'persona_id', foreignKeyConstraintName: 'FK_questions_persona' })
  persona?: PersonaEntity;

  @Column({ type: 'text' })
  text!: string;

  /**
   * sha256 of campaign, topic, persona and the normalized text: the question is unique per
   * campaign + topic + persona whatever the case, spacing or Unicode form of its text
   * (a plain unique index would treat NULL topic/persona as always distinct).
   */
  @Index('UQ_questions_dedupe_key', { unique: true })
  @Column({ name: 'dedupe_key', type: 'varchar', length: 64 })
  dedupeKey!: string;

  @JsonColumn()
  metadata!: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
