import { ApiProperty } from '@nestjs/swagger';
import type { Topic } from '../topic.repository';

export class TopicDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) campaign_id!: string;
  @ApiProperty() title!: string;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export const toTopicDto = (t: Topic): TopicDto => ({
  id: t.id,
  campaign_id: t.campaignId,
  title: t.title,
  description: t.description,
  created_at: t.createdAt.toISOString(),
  updated_at: t.updatedAt.toISOString(),
});
