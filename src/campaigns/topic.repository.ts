import type { Page, PageRequest } from '../core/pagination/pagination';

export interface Topic {
  id: string;
  campaignId: string;
  title: string;
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type TopicFields = Pick<Topic, 'title' | 'description'>;

/** Topic storage (full schema or compat mode). create/update throw DuplicateError for a title the campaign already has. */
export abstract class TopicRepository {
  abstract create(campaignId: string, fields: TopicFields): Promise<Topic>;
  abstract findById(campaignId: string, id: string): Promise<Topic | null>;
  abstract listByCampaign(campaignId: string, page: PageRequest): Promise<Page<Topic>>;
  abstract update(campaignId: string, id: string, fields: Partial<TopicFields>): Promise<Topic | null>;
  /** Deletes the topic and its questions; false when it did not exist. */
  abstract delete(campaignId: string, id: string): Promise<boolean>;
}
