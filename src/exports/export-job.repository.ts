import type { ExportStatus } from './export.entity';

export type { ExportStatus } from './export.entity';

export interface ExportJob {
  id: string;
  runId: string;
  format: string;
  mapperName: string | null;
  /** Options of a file export ({bom, raw}) or a mapper's configuration with its secrets masked. */
  config: Record<string, unknown>;
  status: ExportStatus;
  fileName: string | null;
  rowCount: number | null;
  sizeBytes: number | null;
  error: string | null;
  details: Record<string, unknown> | null;
  createdAt: Date;
  finishedAt: Date | null;
  expiresAt: Date | null;
}

export type NewExportJob = Pick<ExportJob, 'id' | 'runId' | 'format' | 'mapperName' | 'config'>;

export interface ExportOutcome {
  status: 'succeeded' | 'failed';
  fileName?: string | null;
  rowCount: number | null;
  sizeBytes?: number | null;
  error: string | null;
  details?: Record<string, unknown> | null;
  expiresAt?: Date | null;
}

/** Export jobs: the full schema's `exports` table, or `export` events in compat mode. */
export abstract class ExportJobRepository {
  abstract create(job: NewExportJob): Promise<ExportJob>;
  abstract findById(id: string): Promise<ExportJob | null>;
  /** queued → running; false when the job is not queued (a redelivered job that finished). */
  abstract markRunning(id: string): Promise<boolean>;
  abstract finish(id: string, outcome: ExportOutcome): Promise<void>;
  /** Succeeded exports whose file expired before `now`. */
  abstract expired(now: Date, limit: number): Promise<ExportJob[]>;
  abstract markExpired(id: string): Promise<void>;
  /** Queued or running exports created before `before` (candidates for a lost queue job). */
  abstract unfinished(before: Date, limit: number): Promise<ExportJob[]>;
  /** running → queued, to be picked up again. */
  abstract requeue(id: string): Promise<void>;
}
