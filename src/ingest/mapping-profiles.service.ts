import { Injectable } from '@nestjs/common';
import { conflictsAs409 } from '../core/errors/conflicts';
import { AppException } from '../core/errors/app.exception';
import type { Page, PageRequest } from '../core/pagination/pagination';
import type { CreateMappingProfileDto } from './dto/mapping-profile.dto';
import { MappingProfile, MappingProfileRepository } from './mapping-profile.repository';
import { CANONICAL_FIELDS, type ColumnMapping, isCanonicalField } from './spreadsheet/canonical-fields';

/** Checks a mapping given by a user (a saved profile or an upload's `mapping`) before any sheet is seen. */
export function checkMappingShape(mapping: unknown, field: string): ColumnMapping {
  if (typeof mapping !== 'object' || mapping === null || Array.isArray(mapping)) {
    throw AppException.validation(`${field} must be a JSON object of canonical field → header`, [{ field, message: 'must be an object' }]);
  }
  const errors: { field: string; message: string }[] = [];
  const out: ColumnMapping = {};
  for (const [key, value] of Object.entries(mapping)) {
    if (!isCanonicalField(key)) errors.push({ field: `${field}.${key}`, message: `unknown field; use ${CANONICAL_FIELDS.join(', ')}` });
    else if (typeof value !== 'string' || value.trim() === '' || value.length > 200) errors.push({ field: `${field}.${key}`, message: 'must be a header text (1-200 characters)' });
    else out[key] = value.trim();
  }
  if (!out.question_text && !errors.some((e) => e.field === `${field}.question_text`)) errors.push({ field: `${field}.question_text`, message: 'is required' });
  if (errors.length) throw AppException.validation(`invalid ${field}`, errors);
  return out;
}

/** Saved column mappings that uploads can name. */
@Injectable()
export class MappingProfilesService {
  constructor(private readonly profiles: MappingProfileRepository) {}

  create(dto: CreateMappingProfileDto): Promise<MappingProfile> {
    const mapping = checkMappingShape(dto.mapping, 'mapping');
    return conflictsAs409(this.profiles.create(dto.name, mapping), `a mapping profile named "${dto.name}" already exists`);
  }

  list(page: PageRequest): Promise<Page<MappingProfile>> {
    return this.profiles.list(page);
  }

  async get(name: string): Promise<MappingProfile> {
    const profile = await this.profiles.findByName(name);
    if (!profile) throw AppException.notFound('mapping profile', `"${name}"`);
    return profile;
  }

  async delete(name: string): Promise<void> {
    if (!(await this.profiles.delete(name))) throw AppException.notFound('mapping profile', `"${name}"`);
  }
}
