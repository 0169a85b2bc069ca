import { ApiProperty } from '@nestjs/swagger';
import type { Question } from '../question.repository';

export class QuestionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) campaign_id!: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) topic_id!: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) persona_id!: string | null;
  @ApiProperty() text!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export const toQuestionDto = (q: Question): QuestionDto => ({
  id: q.id,
  campaign_id: q.campaignId,
  topic_id: q.topicId,
  persona_id: q.personaId,
  text: q.text,
  metadata: q.metadata,
  created_at: q.createdAt.toISOString(),
});
