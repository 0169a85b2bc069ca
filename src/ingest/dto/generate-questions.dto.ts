import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsNotEmpty, IsOptional, IsString, IsUUID, Matches } from 'class-validator';

export class GenerateQuestionsDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all')
  campaign_id!: string;

  @ApiProperty({ example: 'default', description: 'A template name (its latest version) or name@version; see GET /question-templates' })
  @IsString()
  @IsNotEmpty()
  @Matches(/^[a-z0-9][a-z0-9_-]{0,63}(@\d{1,6})?$/, { message: 'template must be a template name, optionally with @version' })
  template!: string;

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'Topics of the campaign to expand (default: all of them)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsUUID('all', { each: true })
  topic_ids?: string[];

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'Personas to expand (default: every persona)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsUUID('all', { each: true })
  persona_ids?: string[];
}

export class GenerateResultDto {
  @ApiProperty({ description: 'questions created' })
  generated!: number;
  @ApiProperty({ description: 'questions the campaign already had' })
  skipped!: number;
  @ApiProperty({ example: 'default' })
  template!: string;
  @ApiProperty({ example: 1 })
  version!: number;
}

export class QuestionTemplateDto {
  @ApiProperty() name!: string;
  @ApiProperty() version!: number;
  @ApiProperty() description!: string;
  @ApiProperty({ type: [String], example: ['en', 'de'] }) languages!: string[];
  @ApiProperty({ description: 'questions per topic × persona (English)' }) questions_per_pair!: number;
}
