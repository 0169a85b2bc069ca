import { InjectQueue } from '@nestjs/bullmq';
import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { Queue } from 'bullmq';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { CampaignRepository } from '../campaigns';
import { AppConfig } from '../core/config/app-config';
import { AppMetrics } from '../core/metrics/app-metrics';
import { newId } from '../core/database/ids';
import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import { QueueName } from '../core/queue/queue-names';
import type { MetricsDto, RunMetricsDto } from '../runs/dto/metrics.dto';
import { RunMetricsService } from '../runs/metrics.service';
import { type Run, RunRepository } from '../runs/run.repository';
import { ExportJob, ExportJobRepository } from './export-job.repository';
import type { ExportRecord } from './export-record';
import { ExportSourceRepository } from './export-source.repository';
import { type ExportJobData, ExportsJob } from './exports.jobs';
import { MapperConfigError, MapperRegistry, MapperTargetRefused } from './mappers/mapper';
import { CONTENT_TYPES, type ExportFormat, type SummaryTable, writeExport } from './writers';

export interface ExportDownload {
  stream: Readable;
  contentType: string;
  fileName: string;
}

export interface ExportRequest {
  runId: string;
  format: ExportFormat;
  mapper?: string;
  config?: unknown;
  bom?: boolean;
  raw?: boolean;
}

/** A file name that says what it holds: "geo-run-weekly-2026-w48-01a2…-2026-11-30.csv". */
export function exportFileName(run: Pick<Run, 'id' | 'label'>, format: ExportFormat, at = new Date()): string {
  const label = (run.label ?? '')
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '-')
    .slice(0, 60);
  return `geo-run-${label ? `${label}-` : ''}${run.id}-${at.toISOString().slice(0, 10)}.${format}`;
}

/** The XLSX summary sheet: each metric a row, overall then one column per provider. */
export function summaryTable(m: RunMetricsDto): SummaryTable {
  const groups: [string, MetricsDto][] = [['overall', m.overall], ...m.slices.map((s) => [String(s.key.provider ?? JSON.stringify(s.key)), s] as [string, MetricsDto])];
  const row = (label: string, f: (x: MetricsDto) => string | number | null): [string, ...(string | number | null)[]] => [label, ...groups.map(([, x]) => f(x))];
  const competitors = m.overall.competitors.map((c) => c.name);
  return {
    title: `Visibility metrics of run ${m.run_id} (analysis ${m.analysis.config_key}; see docs/ANALYSIS.md for each definition)`,
    columns: groups.map(([name]) => name),
    rows: [
      row('answers', (x) => x.answers),
      row('mention rate', (x) => x.mention_rate),
      row('mention rate 95% CI low', (x) => x.mention_rate_ci[0]),
      row('mention rate 95% CI high', (x) => x.mention_rate_ci[1]),
      row('share of voice', (x) => x.share_of_voice),
      row('average rank', (x) => x.avg_rank),
      row('top-3 rate', (x) => x.top3_rate),
      row('sentiment positive', (x) => x.sentiment.positive),
      row('sentiment neutral', (x) => x.sentiment.neutral),
      row('sentiment negative', (x) => x.sentiment.negative),
      row('citation rate (own domains)', (x) => x.citation_rate),
      row('own-domain citation share', (x) => x.own_domain_citation_share),
      row('top cited domains', (x) => x.top_domains.map((d) => `${d.domain} (${d.count})`).join(', ')),
      ...competitors.flatMap((name) => [
        row(`${name}: mention rate`, (x) => x.competitors.find((c) => c.name === name)?.mention_rate ?? null),
        row(`${name}: share of voice`, (x) => x.competitors.find((c) => c.name === name)?.share_of_voice ?? null),
      ]),
      row('input tokens', (x) => x.tokens.input),
      row('output tokens', (x) => x.tokens.output),
      row('cost (USD)', (x) => x.cost_usd),
      row('latency p50 (ms)', (x) => x.latency_ms.p50),
      row('latency p95 (ms)', (x) => x.latency_ms.p95),
    ],
  };
}

/**
 * Exports: a run's results streamed as CSV, XLSX or JSONL (read with a cursor, written as they
 * come), and export jobs that the worker writes to EXPORT_DIR or delivers through a mapper.
 */
@Injectable()
export class ExportsService {
  private readonly logger = new Logger('Exports');

  constructor(
    private readonly source: ExportSourceRepository,
    private readonly jobs: ExportJobRepository,
    private readonly runs: RunRepository,
    private readonly campaigns: CampaignRepository,
    private readonly metrics: RunMetricsService,
    private readonly mappers: MapperRegistry,
    private readonly config: AppConfig,
    @InjectQueue(QueueName.Exports) private readonly queue: Queue,
    private readonly appMetrics: AppMetrics,
  ) {}

  private async runWithCampaign(runId: string): Promise<{ run: Run; campaign: { id: string; name: string } }> {
    const run = await this.runs.findById(runId);
    if (!run) throw AppException.notFound('run', runId);
    const c = await this.campaigns.findById(run.campaignId);
    return { run, campaign: { id: run.campaignId, name: c?.name ?? '' } };
  }

  /** Everything a writer needs to produce the run's file. */
  private async input(runId: string, format: ExportFormat, opts: { bom?: boolean; raw?: boolean }): Promise<{ run: Run; records: () => AsyncIterable<ExportRecord>; summary?: SummaryTable; bom?: boolean }> {
    const { run, campaign } = await this.runWithCampaign(runId);
    const summary = format === 'xlsx' ? summaryTable(await this.metrics.runMetrics(run.id, 'provider')) : undefined;
    return { run, records: () => this.source.records(run.id, campaign, { raw: opts.raw === true && format === 'jsonl' }), summary, bom: opts.bom };
  }

  /**
   * The run's results as a stream: checked first (404 before any byte), then written as the rows
   * come. A failure half-way can no longer be a problem-details answer: the stream is destroyed,
   * so the client sees an aborted download, never a short file that looks whole.
   */
  async download(runId: string, format: ExportFormat, opts: { bom?: boolean; raw?: boolean }): Promise<ExportDownload> {
    const input = await this.input(runId, format, opts);
    const out = new PassThrough({ highWaterMark: 256 * 1024 });
    writeExport(format, input, out).catch((err: Error) => {
      this.logger.error({ run_id: runId, format, err: err.message }, `export of run ${runId} failed while streaming: ${err.message}`);
      out.destroy(err);
    });
    return { stream: out, contentType: CONTENT_TYPES[format], fileName: exportFileName(input.run, format) };
  }

  /** Validates an export job, records it and queues it. A mapper's target is checked now (SSRF guard) and again when it runs. */
  async create(req: ExportRequest): Promise<ExportJob> {
    const { run } = await this.runWithCampaign(req.runId);
    let config: Record<string, unknown> = { bom: req.bom === true, raw: req.raw === true };
    let secretConfig: unknown = null;
    if (req.mapper !== undefined) {
      const mapper = this.mappers.get(req.mapper);
      if (!mapper) throw AppException.validation(`unknown mapper "${req.mapper}"`, [{ field: 'mapper', message: `must be one of: ${this.mappers.names().join(', ')}` }]);
      try {
        const parsed = mapper.parseConfig(req.config);
        await mapper.checkTarget(parsed);
        config = mapper.redact(parsed);
        secretConfig = parsed;
      } catch (err) {
        if (err instanceof MapperConfigError) throw AppException.validation('the mapper configuration is not valid', err.errors);
        if (err instanceof MapperTargetRefused) throw new AppException(ErrorCode.TargetRefused, HttpStatus.UNPROCESSABLE_ENTITY, err.message, [{ field: 'config.url', message: err.message }]);
        throw err;
      }
    } else if (req.config !== undefined) {
      throw AppException.validation('config is only for a mapper', [{ field: 'config', message: 'must be absent without a mapper' }]);
    }
    const job = await this.jobs.create({ id: newId(), runId: run.id, format: req.format, mapperName: req.mapper ?? null, config });
    // The mapper's secret travels in the job (Redis), never in the database.
    const data: ExportJobData = { exportId: job.id, mapperConfig: secretConfig };
    // A mapper's job is removed as soon as it ends, so that its secret does not linger in Redis
    // (the export's record keeps the outcome).
    const keep = secretConfig === null ? 100 : true;
    await this.queue.add(ExportsJob.Export, data, { jobId: job.id, attempts: 3, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: keep, removeOnFail: keep });
    return job;
  }

  async get(id: string): Promise<ExportJob> {
    const job = await this.jobs.findById(id);
    if (!job) throw AppException.notFound('export', id);
    return job;
  }

  /** An export job's file: 409 while it is not written, 410 once it expired. */
  async file(id: string): Promise<ExportDownload> {
    const job = await this.get(id);
    if (job.status === 'expired') throw new AppException(ErrorCode.Gone, HttpStatus.GONE, `export ${id} expired at ${job.expiresAt?.toISOString() ?? 'an earlier time'}; create a new one`);
    if (job.status !== 'succeeded' || !job.fileName) throw AppException.conflict(`export ${id} has no file${job.mapperName ? ' (it is delivered by a mapper)' : ''}: it is ${job.status}`);
    const path = join(this.config.exportDir, job.fileName);
    try {
      await stat(path);
    } catch {
      throw new AppException(ErrorCode.Gone, HttpStatus.GONE, `the file of export ${id} is no longer in the export directory`);
    }
    const run = await this.runs.findById(job.runId);
    const format = job.format as ExportFormat;
    return { stream: createReadStream(path), contentType: CONTENT_TYPES[format], fileName: run ? exportFileName(run, format, job.createdAt) : job.fileName };
  }

  /**
   * The worker's half of an export job: writes the file (to a temporary name, renamed when whole,
   * so the API never serves half a file) or delivers through the mapper, and records the outcome.
   */
  async execute(data: ExportJobData, attempt: { last: boolean }): Promise<{ status: string; rows: number | null }> {
    const job = await this.jobs.findById(data.exportId);
    if (!job) return { status: 'missing', rows: null };
    if (job.status !== 'queued' && job.status !== 'running') return { status: job.status, rows: job.rowCount };
    await this.jobs.markRunning(job.id);
    const target = job.mapperName ?? job.format;
    try {
      const outcome = await this.write(job, data, attempt);
      this.appMetrics.exports.inc({ target, outcome: outcome.status });
      return outcome;
    } catch (err) {
      this.appMetrics.exports.inc({ target, outcome: 'retried' });
      throw err;
    }
  }

  /** Writes the file or delivers through the mapper; throws to be retried unless this is the last attempt. */
  private async write(job: ExportJob, data: ExportJobData, attempt: { last: boolean }): Promise<{ status: string; rows: number | null }> {
    const format = job.format as ExportFormat;
    try {
      if (job.mapperName) return await this.deliver(job, data);
      const input = await this.input(job.runId, format, { bom: job.config.bom === true, raw: job.config.raw === true });
      await mkdir(this.config.exportDir, { recursive: true });
      const fileName = `${job.id}.${format}`;
      const part = join(this.config.exportDir, `${fileName}.part`);
      const out = createWriteStream(part);
      let rows: number;
      try {
        rows = await writeExport(format, input, out);
        if (!out.writableFinished) await finished(out);
      } catch (err) {
        out.destroy();
        await rm(part, { force: true });
        throw err;
      }
      await rename(part, join(this.config.exportDir, fileName));
      const { size } = await stat(join(this.config.exportDir, fileName));
      const expiresAt = new Date(Date.now() + this.config.exports.ttlSeconds * 1000);
      await this.jobs.finish(job.id, { status: 'succeeded', fileName, rowCount: rows, sizeBytes: size, error: null, details: { bom: job.config.bom === true, raw: job.config.raw === true }, expiresAt });
      this.logger.log({ export_id: job.id, run_id: job.runId, rows, bytes: size }, `export ${job.id} written: ${rows} rows, ${size} bytes`);
      return { status: 'succeeded', rows };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (!attempt.last) throw err;
      await this.jobs.finish(job.id, { status: 'failed', rowCount: null, error: message });
      this.logger.warn({ export_id: job.id, run_id: job.runId, err: message }, `export ${job.id} failed: ${message}`);
      return { status: 'failed', rows: null };
    }
  }

  private async deliver(job: ExportJob, data: ExportJobData): Promise<{ status: string; rows: number | null }> {
    const mapper = this.mappers.get(job.mapperName as string);
    if (!mapper) throw new Error(`unknown mapper "${job.mapperName}"`);
    if (data.mapperConfig === null || data.mapperConfig === undefined) {
      // The secret lived only in the queued job; without it nothing can be signed.
      await this.jobs.finish(job.id, { status: 'failed', rowCount: null, error: 'the mapper configuration is no longer available (the queued job lost it); create the export again' });
      return { status: 'failed', rows: null };
    }
    const config = mapper.parseConfig(data.mapperConfig);
    const { campaign } = await this.runWithCampaign(job.runId);
    try {
      const result = await mapper.deliver(this.source.records(job.runId, campaign, { raw: false }), config, { exportId: job.id, runId: job.runId, logger: this.logger });
      const failedBatches = result.deliveries.filter((d) => d.status === 'failed').length;
      const failed = failedBatches > 0;
      await this.jobs.finish(job.id, {
        status: failed ? 'failed' : 'succeeded',
        rowCount: result.rows,
        error: failed ? `${failedBatches} of ${result.deliveries.length} batches (${result.failed} of ${result.rows} records) were not delivered` : null,
        details: { delivered: result.delivered, failed: result.failed, deliveries: result.deliveries },
      });
      return { status: failed ? 'failed' : 'succeeded', rows: result.rows };
    } catch (err) {
      if (err instanceof MapperTargetRefused) {
        await this.jobs.finish(job.id, { status: 'failed', rowCount: null, error: err.message });
        return { status: 'failed', rows: null };
      }
      throw err;
    }
  }

  /**
   * The database is the source of truth for exports too: an export still queued or running a while
   * after it was created, whose queue job is gone (Redis lost it, or it ended without recording an
   * outcome), is queued again; a mapper's export cannot be (its secret was only in the job) and is
   * marked failed instead.
   */
  async recoverLost(now = new Date(), graceMs = 10 * 60_000): Promise<{ requeued: number; failed: number }> {
    let requeued = 0;
    let failed = 0;
    for (const job of await this.jobs.unfinished(new Date(now.getTime() - graceMs), 500)) {
      const queued = await this.queue.getJob(job.id);
      const state = queued ? await queued.getState() : 'missing';
      if (state === 'waiting' || state === 'active' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children') continue;
      if (queued) await queued.remove().catch(() => undefined);
      if (job.mapperName) {
        await this.jobs.finish(job.id, { status: 'failed', rowCount: null, error: 'the queued job was lost, and the mapper configuration with it; create the export again' });
        failed++;
        continue;
      }
      await this.jobs.requeue(job.id);
      await this.queue.add(ExportsJob.Export, { exportId: job.id, mapperConfig: null } satisfies ExportJobData, { jobId: job.id, attempts: 3, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: 100, removeOnFail: 100 });
      requeued++;
    }
    if (requeued || failed) this.logger.warn({ requeued, failed }, `exports whose queue job was lost: ${requeued} queued again, ${failed} failed`);
    return { requeued, failed };
  }

  /** Deletes the files of expired exports and marks them expired; recovers exports whose job was lost. */
  async sweep(now = new Date()): Promise<{ expired: number; requeued: number; failed: number }> {
    const recovered = await this.recoverLost(now);
    let expired = 0;
    for (;;) {
      const batch = await this.jobs.expired(now, 100);
      for (const job of batch) {
        if (job.fileName) await rm(join(this.config.exportDir, job.fileName), { force: true });
        await this.jobs.markExpired(job.id);
        expired++;
      }
      if (batch.length < 100) break;
    }
    if (expired) this.logger.log({ expired }, `${expired} export files expired`);
    return { expired, ...recovered };
  }
}
