import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { CronExpressionParser } from 'cron-parser';
import type Redis from 'ioredis';
import { AppConfig } from '../core/config/app-config';
import { AppException } from '../core/errors/app.exception';
import type { Page, PageRequest } from '../core/pagination/pagination';
import { QueueName } from '../core/queue/queue-names';
import { REDIS } from '../core/redis/redis.module';
import { RunSettingsDto } from './dto/create-run.dto';
import type { CreateScheduleDto } from './dto/schedule.dto';
import { MaintenanceJob, RECONCILER_SCHEDULER_ID, scheduleSchedulerId, ScheduledRunJobData } from './runs.jobs';
import { RunsService } from './runs.service';
import { Schedule, ScheduleRepository } from './schedule.repository';

/** When a cron pattern fires next in a time zone; throws on a pattern or zone that cannot fire. */
export function nextFiring(cron: string, timezone: string, from = new Date()): Date {
  return CronExpressionParser.parse(cron, { tz: timezone, currentDate: from }).next().toDate();
}

/**
 * Recurring runs. The database holds the schedules; BullMQ job schedulers on the maintenance
 * queue fire them. `sync()` makes Redis agree with the database (at worker start and every
 * reconcile interval), so schedules survive a Redis that lost its memory.
 */
@Injectable()
export class SchedulesService {
  private readonly logger = new Logger('Schedules');

  constructor(
    private readonly schedules: ScheduleRepository,
    private readonly runs: RunsService,
    @InjectQueue(QueueName.Maintenance) private readonly maintenance: Queue,
    private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async create(campaignId: string, dto: CreateScheduleDto): Promise<Schedule> {
    const timezone = dto.timezone ?? 'UTC';
    try {
      nextFiring(dto.cron, timezone);
    } catch (err) {
      throw AppException.validation(`cron "${dto.cron}" in time zone ${timezone} cannot be used: ${(err as Error).message}`, [
        { field: 'cron', message: `not a valid cron pattern in time zone ${timezone}` },
      ]);
    }
    await this.runs.validateSettings(campaignId, dto.run, 'run.');
    const schedule = await this.schedules.create({ campaignId, cron: dto.cron, timezone, runTemplate: { ...dto.run } });
    await this.mirror(schedule);
    this.logger.log({ schedule_id: schedule.id, campaign_id: campaignId, cron: dto.cron, timezone }, 'schedule created');
    return schedule;
  }

  async list(campaignId: string, page: PageRequest): Promise<Page<Schedule>> {
    return this.schedules.listByCampaign(campaignId, page);
  }

  async delete(campaignId: string, id: string): Promise<void> {
    const s = await this.schedules.findById(id);
    if (!s || s.campaignId !== campaignId) throw AppException.notFound('schedule', id);
    await this.schedules.delete(id);
    await this.maintenance.removeJobScheduler(scheduleSchedulerId(id));
  }

  private async mirror(s: Schedule): Promise<void> {
    await this.maintenance.upsertJobScheduler(
      scheduleSchedulerId(s.id),
      { pattern: s.cron, tz: s.timezone },
      { name: MaintenanceJob.ScheduledRun, data: { scheduleId: s.id } satisfies ScheduledRunJobData, opts: { removeOnComplete: 100, removeOnFail: 100 } },
    );
  }

  /** Redis agrees with the database: the reconciler and every schedule have a job scheduler, and nothing else does. */
  async sync(): Promise<void> {
    await this.maintenance.upsertJobScheduler(
      RECONCILER_SCHEDULER_ID,
      { every: this.config.runs.reconcileIntervalMs },
      { name: MaintenanceJob.Reconcile, data: {}, opts: { removeOnComplete: 10, removeOnFail: 10 } },
    );
    const schedules = await this.schedules.all();
    const wanted = new Set([RECONCILER_SCHEDULER_ID, ...schedules.map((s) => scheduleSchedulerId(s.id))]);
    for (const s of schedules) await this.mirror(s);
    for (const existing of await this.maintenance.getJobSchedulers(0, -1)) {
      if (existing.key && !wanted.has(existing.key)) await this.maintenance.removeJobScheduler(existing.key);
    }
  }

  /**
   * A schedule fired: create its run and start it. The firing's job id names the slot, so a
   * redelivered job starts the run it already created instead of a second one.
   */
  async fire(scheduleId: string, firingId: string): Promise<string | null> {
    const schedule = await this.schedules.findById(scheduleId);
    if (!schedule) return null;
    const slot = `${this.config.redis.queuePrefix}:schedule-firing:${firingId}`;
    let runId = await this.redis.get(slot);
    if (!runId) {
      const dto = plainToInstance(RunSettingsDto, schedule.runTemplate);
      const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
      if (errors.length) {
        this.logger.error({ schedule_id: scheduleId }, `schedule's saved run settings are no longer valid: ${errors.map((e) => e.property).join(', ')}`);
        return null;
      }
      try {
        const run = await this.runs.create(schedule.campaignId, { ...dto, label: dto.label ?? `scheduled ${new Date().toISOString().slice(0, 16)}Z` }, scheduleId);
        runId = run.id;
      } catch (err) {
        // The campaign, a topic or a provider key went away since the schedule was saved: retrying cannot help.
        if (!(err instanceof AppException)) throw err;
        this.logger.error({ schedule_id: scheduleId }, `schedule cannot create its run: ${err.detail}`);
        return null;
      }
      await this.redis.set(slot, runId, 'EX', 7 * 86_400);
    }
    await this.runs.start(runId);
    await this.schedules.recordRun(scheduleId, runId, new Date());
    this.logger.log({ schedule_id: scheduleId, run_id: runId }, 'scheduled run started');
    return runId;
  }
}
