import type { Tx } from '../core/database/transaction';
import type { Page, PageRequest } from '../core/pagination/pagination';
import { normalizeKey, sha256Hex } from '../core/text/normalize';

export interface Question {
  id: string;
  campaignId: string;
  topicId: string | null;
  personaId: string | null;
  text: string;
  metadata: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export type QuestionFields = Pick<Question, 'topicId' | 'personaId' | 'text' | 'metadata'>;

export interface QuestionFilter {
  topicId?: string;
  personaId?: string;
}

/** A question is unique per campaign + topic + persona on its normalized text. */
export function questionDedupeKey(campaignId: string, topicId: string | null, personaId: string | null, text: string): string {
  return sha256Hex(campaignId, topicId ?? '', personaId ?? '', normalizeKey(text));
}

/** Question storage (full schema or compat mode). create throws DuplicateError for a question that exists. */
export abstract class QuestionRepository {
  abstract create(campaignId: string, fields: QuestionFields): Promise<Question>;
  abstract findById(campaignId: string, id: string): Promise<Question | null>;
  abstract listByCampaign(campaignId: string, filter: QuestionFilter, page: PageRequest): Promise<Page<Question>>;
  /** Every question of a campaign in creation order, optionally only those of some topics and personas (a run's question set). */
  abstract listAll(campaignId: string, filter: { topicIds?: string[]; personaIds?: string[] }): Promise<Question[]>;
  abstract delete(campaignId: string, id: string): Promise<boolean>;
  /**
   * Inserts the questions that do not exist yet (same campaign, topic, persona and normalized text)
   * and skips the others, duplicates within `items` included. Answers how many were inserted.
   * Safe under concurrent calls: the unique key decides, no lock is taken.
   */
  abstract insertMany(items: (QuestionFields & { campaignId: string })[], tx?: Tx): Promise<number>;
}
