import { IsUUID } from 'class-validator';

/** Jobs of the maintenance queue (owned by runs). */
export enum MaintenanceJob {
  /** Proves that a worker consumes the queue; answers with the worker's pid. */
  Ping = 'ping',
  /** Re-enqueues run items that the database holds as queued or running but Redis has no job for. */
  Reconcile = 'reconcile',
  /** Creates and starts a run from a schedule (fired by a BullMQ job scheduler). */
  ScheduledRun = 'scheduled-run',
  /** Recomputes the analysis of a run's stored answers with the campaign's current configuration. */
  Rescore = 'rescore',
}

export interface PingJobData {
  sentAt: string;
}

/** The job name of every provider queue's jobs: one run item each, jobId = the item's id. */
export const RUN_ITEM_JOB = 'run-item';

/** A run item job's data, validated by the processor before anything else (jobs are input too). */
export class RunItemJobData {
  @IsUUID()
  runId!: string;

  @IsUUID()
  itemId!: string;
}

export class RescoreJobData {
  @IsUUID()
  runId!: string;
}

export class ScheduledRunJobData {
  @IsUUID()
  scheduleId!: string;
}

/** The id of the BullMQ job scheduler of the reconciler, and of a schedule's scheduler. */
export const RECONCILER_SCHEDULER_ID = 'reconciler';
export const scheduleSchedulerId = (scheduleId: string): string => `schedule:${scheduleId}`;
