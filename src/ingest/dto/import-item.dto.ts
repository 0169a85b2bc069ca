import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsOptional, ValidateNested } from 'class-validator';
import { CreateCampaignDto, CreatePersonaDto, CreateQuestionDto, CreateTopicDto } from '../../campaigns';

/** The question part of an item: a question's text and metadata, as POST /campaigns/{id}/questions takes them. */
export class ImportQuestionDto extends PickType(CreateQuestionDto, ['text', 'metadata'] as const) {}

/**
 * One item of an agent import. Each part may also be a plain string: the campaign's name, the
 * topic's title, the persona's name, the question's text.
 */
export class ImportItemDto {
  @ApiProperty({ oneOf: [{ $ref: '#/components/schemas/CreateCampaignDto' }, { type: 'string', example: 'Acme CRM visibility' }] })
  @ValidateNested()
  @Type(() => CreateCampaignDto)
  campaign!: CreateCampaignDto;

  @ApiPropertyOptional({ nullable: true, oneOf: [{ $ref: '#/components/schemas/CreateTopicDto' }, { type: 'string', example: 'CRM for agencies' }] })
  @IsOptional()
  @ValidateNested()
  @Type(() => CreateTopicDto)
  topic?: CreateTopicDto | null;

  @ApiPropertyOptional({ nullable: true, oneOf: [{ $ref: '#/components/schemas/CreatePersonaDto' }, { type: 'string', example: 'Agency owner' }] })
  @IsOptional()
  @ValidateNested()
  @Type(() => CreatePersonaDto)
  persona?: CreatePersonaDto | null;

  @ApiProperty({ oneOf: [{ $ref: '#/components/schemas/ImportQuestionDto' }, { type: 'string', example: 'Which CRM should a 20-person agency pick?' }] })
  @ValidateNested()
  @Type(() => ImportQuestionDto)
  question!: ImportQuestionDto;
}
