import type { WorkerOptions } from 'bullmq';
import type { AppConfig } from '../config/app-config';

/** @nestjs/bullmq reads a processor's worker options from this metadata when the module initializes. */
const WORKER_METADATA = 'bullmq:worker_metadata';

/**
 * A processor's BullMQ worker options, from the configuration (the @Processor decorator is
 * static): the same stalled interval and lock duration on every queue, so a killed worker's jobs
 * of any queue come back within one interval, plus the processor's own options. Called in the
 * processor's constructor, which runs before @nestjs/bullmq creates the Worker from the metadata.
 */
export function configureWorker(target: object, config: AppConfig, options: Partial<WorkerOptions> = {}): void {
  const merged: Partial<WorkerOptions> = {
    stalledInterval: config.runs.stalledIntervalMs,
    lockDuration: config.runs.lockDurationMs,
    // A job whose worker died twice fails instead of going round again; the reconciler (run
    // items) and the export sweep (exports) pick up what failed this way.
    maxStalledCount: 2,
    ...options,
  };
  Reflect.defineMetadata(WORKER_METADATA, merged, target);
}
