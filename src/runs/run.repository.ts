import type { ProviderName } from '../core/config/app-config';
import type { Tx } from '../core/database/transaction';
import type { Page, PageRequest } from '../core/pagination/pagination';
import type { RunStatus } from './run.entity';

export type { RunStatus };

export interface ProviderSettingRecord {
  provider: ProviderName;
  model: string;
  settings: Record<string, unknown>;
}

export interface RunFilters {
  topicIds: string[];
  personaIds: string[];
}

export interface Run {
  id: string;
  campaignId: string;
  label: string | null;
  providerSettings: ProviderSettingRecord[];
  samples: number;
  promptVersion: string;
  filters: RunFilters;
  status: RunStatus;
  totalItems: number;
  scheduleId: string | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export type RunFields = Pick<Run, 'campaignId' | 'label' | 'providerSettings' | 'samples' | 'promptVersion' | 'filters' | 'scheduleId'>;

export type RunPatch = Partial<Pick<Run, 'totalItems' | 'startedAt' | 'finishedAt'>>;

export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ['completed', 'completed_with_errors', 'cancelled'];

/**
 * Run storage (full schema or compat mode). `transition` moves a run between states only from the
 * states given; callers hold the run's Redis lock (RunLocks), so that compat mode, whose log has no
 * conditional update, gives the same guarantee.
 */
export abstract class RunRepository {
  abstract create(fields: RunFields): Promise<Run>;
  abstract findById(id: string): Promise<Run | null>;
  abstract list(filter: { campaignId?: string; status?: RunStatus }, page: PageRequest): Promise<Page<Run>>;
  /** The run after the change, or null when it was not in one of `from`. */
  abstract transition(id: string, from: readonly RunStatus[], to: RunStatus, patch: RunPatch, tx?: Tx): Promise<Run | null>;
  /** Ids of the runs whose status is running (the reconciler's worklist). */
  abstract runningIds(): Promise<string[]>;
}
