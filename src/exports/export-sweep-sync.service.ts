import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { Queue } from 'bullmq';
import { AppConfig } from '../core/config/app-config';
import { QueueName } from '../core/queue/queue-names';
import { EXPORT_SWEEP_SCHEDULER_ID, ExportsJob } from './exports.jobs';

/** The sweep of expired export files runs every 15 minutes (or every TTL, when shorter). Worker only. */
@Injectable()
export class ExportSweepSync implements OnApplicationBootstrap {
  constructor(
    @InjectQueue(QueueName.Exports) private readonly queue: Queue,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const every = Math.min(15 * 60_000, this.config.exports.ttlSeconds * 1000);
    await this.queue.upsertJobScheduler(EXPORT_SWEEP_SCHEDULER_ID, { every }, { name: ExportsJob.Sweep, data: {}, opts: { removeOnComplete: 10, removeOnFail: 10 } });
  }
}
