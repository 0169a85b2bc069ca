import { IsOptional, IsUUID } from 'class-validator';

/** Jobs of the exports queue. */
export enum ExportsJob {
  /** Writes an export job's file, or delivers it through its mapper. jobId = the export's id. */
  Export = 'export',
  /** Deletes the files of expired exports (a job scheduler, every EXPORT_SWEEP_EVERY_MS). */
  Sweep = 'sweep',
}

export const EXPORT_SWEEP_SCHEDULER_ID = 'export-sweep';

/** An export job's data, validated by the processor (jobs are input too). */
export class ExportJobData {
  @IsUUID()
  exportId!: string;

  /** The mapper's configuration with its secret: kept in the job, never in the database. */
  @IsOptional()
  mapperConfig?: unknown;
}
