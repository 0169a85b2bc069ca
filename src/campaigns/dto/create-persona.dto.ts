import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IsOptionalNotNull, Trim } from './dto-helpers';

export class CreatePersonaDto {
  @ApiProperty({ example: 'Agency owner', maxLength: 200, description: 'Unique (personas are shared by all campaigns)' })
  @Trim()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({ example: 'Founder', maxLength: 200, nullable: true })
  @IsOptional()
  @Trim()
  @IsString()
  @MaxLength(200)
  role?: string | null;

  @ApiPropertyOptional({ example: 'marketing services', maxLength: 200, nullable: true })
  @IsOptional()
  @Trim()
  @IsString()
  @MaxLength(200)
  domain?: string | null;

  @ApiPropertyOptional({ example: 'en-US', description: 'BCP 47 language tag', nullable: true })
  @IsOptional()
  @Trim()
  @IsString()
  @Matches(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$/, { message: 'locale must be a language tag such as en-US or de' })
  locale?: string | null;

  @ApiPropertyOptional({ example: 'pragmatic', maxLength: 100, nullable: true })
  @IsOptional()
  @Trim()
  @IsString()
  @MaxLength(100)
  tone?: string | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { seniority: 'senior' }, default: {} })
  @IsOptionalNotNull()
  @IsObject()
  extra?: Record<string, unknown>;
}
