import type { Tx } from '../core/database/transaction';
import type { Page, PageRequest } from '../core/pagination/pagination';

export interface Persona {
  id: string;
  name: string;
  role: string | null;
  domain: string | null;
  locale: string | null;
  tone: string | null;
  extra: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export type PersonaFields = Omit<Persona, 'id' | 'createdAt' | 'updatedAt'>;

/**
 * Persona storage (full schema or compat mode). Personas are shared by all campaigns, one per
 * normalized name: create/update throw DuplicateError; delete throws ReferenceViolationError
 * while questions use the persona.
 */
export abstract class PersonaRepository {
  abstract create(fields: PersonaFields): Promise<Persona>;
  abstract findById(id: string): Promise<Persona | null>;
  abstract findByName(name: string): Promise<Persona | null>;
  abstract list(page: PageRequest): Promise<Page<Persona>>;
  abstract update(id: string, fields: Partial<PersonaFields>): Promise<Persona | null>;
  abstract delete(id: string): Promise<boolean>;
  /** Creates the personas whose normalized name does not exist yet; answers normalizeKey(name) → id for all. */
  abstract ensureMany(items: PersonaFields[], tx?: Tx): Promise<Map<string, string>>;
}
