import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsObject, IsString, Matches, MaxLength } from 'class-validator';
import { Trim } from '../../campaigns';
import { CANONICAL_FIELDS } from '../spreadsheet/canonical-fields';
import type { MappingProfile } from '../mapping-profile.repository';

const MAPPING_EXAMPLE = { question_text: 'Frage', topic_title: 'Thema', persona_name: 'Zielgruppe' };

export class CreateMappingProfileDto {
  @ApiProperty({ example: 'eu-excel', maxLength: 100, description: 'Letters, digits, spaces, ".", "_" or "-"' })
  @Trim()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @Matches(/^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u, { message: 'name may hold letters, digits, spaces, ".", "_" and "-"' })
  name!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: MAPPING_EXAMPLE,
    description: `Canonical field → header text in the sheet. Fields: ${CANONICAL_FIELDS.join(', ')}; question_text is required.`,
  })
  @IsObject()
  mapping!: Record<string, unknown>;
}

export class MappingProfileDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, example: MAPPING_EXAMPLE }) mapping!: Record<string, string>;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export const toMappingProfileDto = (p: MappingProfile): MappingProfileDto => ({
  id: p.id,
  name: p.name,
  mapping: p.mapping,
  created_at: p.createdAt.toISOString(),
  updated_at: p.updatedAt.toISOString(),
});
