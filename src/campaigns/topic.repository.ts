import type { Tx } from '../core/database/transaction';
import type { Page, PageRequest } from '../core/pagination/pagination';
import { normalizeKey } from '../core/text/normalize';

export interface Topic {
  id: string;
  campaignId: string;
  title: string;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type TopicFields = Pick<Topic, 'title' | 'description'>;

/** The key ensureMany answers by: a topic is unique per campaign and normalized title. */
export const topicKey = (campaignId: string, title: string): string => `${campaignId}\u0000${normalizeKey(title)}`;

/** Topic storage (full schema or compat mode). create/update throw DuplicateError for a title the campaign already has. */
export abstract class TopicRepository {
  abstract create(campaignId: string, fields: TopicFields): Promise<Topic>;
  abstract findById(campaignId: string, id: string): Promise<Topic | null>;
  abstract listByCampaign(campaignId: string, page: PageRequest): Promise<Page<Topic>>;
  abstract update(campaignId: string, id: string, fields: Partial<TopicFields>): Promise<Topic | null>;
  /** Deletes the topic and its questions; false when it did not exist. */
  abstract delete(campaignId: string, id: string): Promise<boolean>;
  /** Creates the topics that do not exist yet; answers topicKey(campaignId, title) → id for all. Safe under concurrent calls. */
  abstract ensureMany(items: (TopicFields & { campaignId: string })[], tx?: Tx): Promise<Map<string, string>>;
}
