import { Injectable } from '@nestjs/common';
import { AppException } from '../core/errors/app.exception';
import { conflictsAs409 } from '../core/errors/conflicts';
import type { Page, PageRequest } from '../core/pagination/pagination';
import { cleanText } from '../core/text/normalize';
import type { CreatePersonaDto } from './dto/create-persona.dto';
import type { UpdatePersonaDto } from './dto/update-persona.dto';
import { Persona, PersonaFields, PersonaRepository } from './persona.repository';

/** Persona fields from a create request. */
export function personaFieldsFrom(dto: CreatePersonaDto): PersonaFields {
  return {
    name: cleanText(dto.name),
    role: dto.role ?? null,
    domain: dto.domain ?? null,
    locale: dto.locale ?? null,
    tone: dto.tone ?? null,
    extra: dto.extra ?? {},
  };
}

/** Personas: who is asking. Shared by all campaigns, unique by normalized name. */
@Injectable()
export class PersonasService {
  constructor(private readonly personas: PersonaRepository) {}

  create(dto: CreatePersonaDto): Promise<Persona> {
    const fields = personaFieldsFrom(dto);
    return conflictsAs409(this.personas.create(fields), `a persona named "${fields.name}" already exists`);
  }

  list(page: PageRequest): Promise<Page<Persona>> {
    return this.personas.list(page);
  }

  async get(id: string): Promise<Persona> {
    const persona = await this.personas.findById(id);
    if (!persona) throw AppException.notFound('persona', id);
    return persona;
  }

  async update(id: string, dto: UpdatePersonaDto): Promise<Persona> {
    const fields: Partial<PersonaFields> = {};
    if (dto.name !== undefined) fields.name = cleanText(dto.name);
    for (const key of ['role', 'domain', 'locale', 'tone'] as const) if (dto[key] !== undefined) fields[key] = dto[key];
    if (dto.extra !== undefined) fields.extra = dto.extra;
    const persona = await conflictsAs409(this.personas.update(id, fields), `a persona named "${fields.name}" already exists`);
    if (!persona) throw AppException.notFound('persona', id);
    return persona;
  }

  async delete(id: string): Promise<void> {
    const deleted = await conflictsAs409(this.personas.delete(id), '', `persona ${id} is used by questions`);
    if (!deleted) throw AppException.notFound('persona', id);
  }
}
