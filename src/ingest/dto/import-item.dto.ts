import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsNotEmpty, IsObject, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { CreateCampaignDto, CreatePersonaDto, CreateTopicDto, IsOptionalNotNull, Trim } from '../../campaigns';

export class ImportQuestionDto {
  @ApiProperty({ example: 'Which CRM should a 20-person agency pick?', maxLength: 5000 })
  @Trim()
  @IsString()
  @IsNotEmpty()
  @MaxLength(5000)
  text!: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { source: 'agent-v2' } })
  @IsOptionalNotNull()
  @IsObject()
  metadata?: Record<string, unknown>;
}

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
