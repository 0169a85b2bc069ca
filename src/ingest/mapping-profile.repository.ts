import type { Page, PageRequest } from '../core/pagination/pagination';
import type { ColumnMapping } from './spreadsheet/canonical-fields';

export interface MappingProfile {
  id: string;
  name: string;
  mapping: ColumnMapping;
  createdAt: Date;
  updatedAt: Date;
}

/** Saved column mappings (full schema or compat mode). create throws DuplicateError for a name in use. */
export abstract class MappingProfileRepository {
  abstract create(name: string, mapping: ColumnMapping): Promise<MappingProfile>;
  abstract findByName(name: string): Promise<MappingProfile | null>;
  abstract list(page: PageRequest): Promise<Page<MappingProfile>>;
  abstract delete(name: string): Promise<boolean>;
}
