import type { ProviderName } from '../config/app-config';

/**
 * Every BullMQ queue. The API registers them as producers; the worker must have exactly one
 * processor for each (checked at start). One queue per provider, so that a throttled provider
 * never starves the others.
 */
export enum QueueName {
  Maintenance = 'maintenance',
  ProviderOpenai = 'provider-openai',
  ProviderGemini = 'provider-gemini',
  ProviderPerplexity = 'provider-perplexity',
  /** Export jobs (files and mappers) and the sweep of expired files. */
  Exports = 'exports',
}

export const ALL_QUEUES: readonly QueueName[] = Object.values(QueueName);

export const PROVIDER_QUEUES: Readonly<Record<ProviderName, QueueName>> = {
  openai: QueueName.ProviderOpenai,
  gemini: QueueName.ProviderGemini,
  perplexity: QueueName.ProviderPerplexity,
};
