/**
 * Every BullMQ queue. The API registers them as producers; the worker must have exactly one
 * processor for each (checked at start). Later features add provider and export queues here.
 */
export enum QueueName {
  Maintenance = 'maintenance',
}

export const ALL_QUEUES: readonly QueueName[] = Object.values(QueueName);
