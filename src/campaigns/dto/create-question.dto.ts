import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsObject, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { IsOptionalNotNull, Trim } from './dto-helpers';

export class CreateQuestionDto {
  @ApiProperty({ example: 'Which CRM should a 20-person agency pick?', maxLength: 5000 })
  @Trim()
  @IsString()
  @IsNotEmpty()
  @MaxLength(5000)
  text!: string;

  @ApiPropertyOptional({ format: 'uuid', nullable: true, description: 'A topic of this campaign' })
  @IsOptional()
  @IsUUID('all')
  topic_id?: string | null;

  @ApiPropertyOptional({ format: 'uuid', nullable: true })
  @IsOptional()
  @IsUUID('all')
  persona_id?: string | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, default: {} })
  @IsOptionalNotNull()
  @IsObject()
  metadata?: Record<string, unknown>;
}
