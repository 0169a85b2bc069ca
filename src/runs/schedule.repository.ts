import type { Page, PageRequest } from '../core/pagination/pagination';

export interface Schedule {
  id: string;
  campaignId: string;
  cron: string;
  timezone: string;
  /** The run each firing creates: {label, providers, samples, prompt_version, filters} as POST /runs takes them. */
  runTemplate: Record<string, unknown>;
  lastRunAt: Date | null;
  lastRunId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type ScheduleFields = Pick<Schedule, 'campaignId' | 'cron' | 'timezone' | 'runTemplate'>;

/** Schedule storage (full schema or compat mode); the database is the truth, BullMQ mirrors it. */
export abstract class ScheduleRepository {
  abstract create(fields: ScheduleFields): Promise<Schedule>;
  abstract findById(id: string): Promise<Schedule | null>;
  abstract listByCampaign(campaignId: string, page: PageRequest): Promise<Page<Schedule>>;
  /** Every schedule (the worker re-creates their BullMQ schedulers from this list). */
  abstract all(): Promise<Schedule[]>;
  abstract recordRun(id: string, runId: string, at: Date): Promise<void>;
  abstract delete(id: string): Promise<boolean>;
}
