import { Injectable, Logger } from '@nestjs/common';
import { RunItemRepository } from './run-item.repository';
import { RunQueues } from './run-queues';
import { RunRepository } from './run.repository';
import { RunsService } from './runs.service';

export interface ReconcileReport {
  runs: number;
  requeued: number;
  finished: number;
}

/**
 * The database is the source of truth: every running run's queued or running items must have a
 * job in Redis. Items without one (Redis restarted empty, a job removed, a start that died between
 * its commit and its enqueue) get one again; runs with nothing left to do are finished. Re-adding
 * is safe: the job id is the item id, and the processor skips items that are already answered.
 */
@Injectable()
export class RunReconciler {
  private readonly logger = new Logger('Reconciler');

  constructor(
    private readonly runs: RunRepository,
    private readonly items: RunItemRepository,
    private readonly queues: RunQueues,
    private readonly runsService: RunsService,
  ) {}

  async reconcile(): Promise<ReconcileReport> {
    const report: ReconcileReport = { runs: 0, requeued: 0, finished: 0 };
    for (const runId of await this.runs.runningIds()) {
      report.runs++;
      const seen = await this.queues.withoutJob(await this.items.activeItems(runId));
      // An item may have finished (and its job gone) between the two reads: read its status again.
      const stillActive = seen.length ? new Set((await this.items.activeItems(runId)).map((i) => i.id)) : new Set<string>();
      const missing = seen.filter((i) => stillActive.has(i.id));
      if (missing.length) {
        await this.queues.enqueue(missing);
        report.requeued += missing.length;
        this.logger.warn({ run_id: runId, requeued: missing.length }, 'run items without a job were enqueued again');
      }
      if (await this.runsService.finishIfDone(runId)) report.finished++;
    }
    return report;
  }
}
