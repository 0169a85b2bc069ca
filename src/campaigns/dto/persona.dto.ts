import { ApiProperty } from '@nestjs/swagger';
import type { Persona } from '../persona.repository';

export class PersonaDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String }) role!: string | null;
  @ApiProperty({ nullable: true, type: String }) domain!: string | null;
  @ApiProperty({ nullable: true, type: String }) locale!: string | null;
  @ApiProperty({ nullable: true, type: String }) tone!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) extra!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export const toPersonaDto = (p: Persona): PersonaDto => ({
  id: p.id,
  name: p.name,
  role: p.role,
  domain: p.domain,
  locale: p.locale,
  tone: p.tone,
  extra: p.extra,
  created_at: p.createdAt.toISOString(),
  updated_at: p.updatedAt.toISOString(),
});
