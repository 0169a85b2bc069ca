import type { Tx } from '../core/database/transaction';
import type { Page, PageRequest } from '../core/pagination/pagination';
import type { Competitor } from './campaign.entity';

export type { Competitor };

export interface Campaign {
  id: string;
  name: string;
  productName: string | null;
  brandAliases: string[];
  brandDomains: string[];
  competitors: Competitor[];
  createdAt: Date;
  updatedAt: Date;
}

export type CampaignFields = Omit<Campaign, 'id' | 'createdAt' | 'updatedAt'>;

/**
 * Campaign storage. Two adapters implement it (full schema, compat mode); the module picks one
 * at init, and services never know which.
 *
 * Errors: create and update throw DuplicateError when the normalized name is taken; delete throws
 * ReferenceViolationError when runs refer to the campaign.
 */
export abstract class CampaignRepository {
  abstract create(fields: CampaignFields): Promise<Campaign>;
  abstract findById(id: string): Promise<Campaign | null>;
  abstract findByName(name: string): Promise<Campaign | null>;
  abstract list(page: PageRequest): Promise<Page<Campaign>>;
  abstract update(id: string, fields: Partial<CampaignFields>): Promise<Campaign | null>;
  /** Deletes the campaign with its topics and questions; false when it did not exist. */
  abstract delete(id: string): Promise<boolean>;
  /**
   * Creates the campaigns whose normalized name does not exist yet (existing ones are left as they
   * are) and answers normalizeKey(name) → id for all of them. Safe under concurrent calls.
   */
  abstract ensureMany(items: CampaignFields[], tx?: Tx): Promise<Map<string, string>>;
}
