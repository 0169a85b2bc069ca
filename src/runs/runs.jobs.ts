/** Jobs of the maintenance queue (owned by runs: the reconciler and scheduled runs join this list). */
export enum MaintenanceJob {
  /** Proves that a worker consumes the queue; answers with the worker's pid. */
  Ping = 'ping',
}

export interface PingJobData {
  sentAt: string;
}
