import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, LessThan, Repository } from 'typeorm';
import { ExportEntity } from './export.entity';
import { ExportJob, ExportJobRepository, ExportOutcome, NewExportJob } from './export-job.repository';

const toJob = (e: ExportEntity): ExportJob => ({
  id: e.id,
  runId: e.runId,
  format: e.format,
  mapperName: e.mapperName,
  config: e.configJson ?? {},
  status: e.status,
  fileName: e.fileName,
  rowCount: e.rowCount,
  sizeBytes: e.sizeBytes,
  error: e.error,
  details: e.details,
  createdAt: e.createdAt,
  finishedAt: e.finishedAt,
  expiresAt: e.expiresAt,
});

@Injectable()
export class ExportJobFullRepository extends ExportJobRepository {
  private readonly repo: Repository<ExportEntity>;

  constructor(@InjectDataSource() dataSource: DataSource) {
    super();
    this.repo = dataSource.getRepository(ExportEntity);
  }

  async create(job: NewExportJob): Promise<ExportJob> {
    const e = this.repo.create({ ...job, configJson: job.config, status: 'queued', fileUrl: null, rowCount: null, error: null, fileName: null, sizeBytes: null, details: null, finishedAt: null, expiresAt: null });
    return toJob(await this.repo.save(e));
  }

  async findById(id: string): Promise<ExportJob | null> {
    const e = await this.repo.findOneBy({ id });
    return e ? toJob(e) : null;
  }

  async markRunning(id: string): Promise<boolean> {
    const r = await this.repo.update({ id, status: 'queued' }, { status: 'running' });
    return (r.affected ?? 0) > 0;
  }

  async finish(id: string, o: ExportOutcome): Promise<void> {
    await this.repo.update(
      { id },
      {
        status: o.status,
        fileName: o.fileName ?? null,
        fileUrl: o.fileName ? `/api/v1/exports/${id}/file` : null,
        rowCount: o.rowCount,
        sizeBytes: o.sizeBytes ?? null,
        error: o.error,
        // TypeORM's update() types JSON columns as deep partials; the value is a plain object.
        details: (o.details ?? null) as ExportEntity['details'] & object,
        finishedAt: new Date(),
        expiresAt: o.expiresAt ?? null,
      },
    );
  }

  async expired(now: Date, limit: number): Promise<ExportJob[]> {
    return (await this.repo.find({ where: { status: 'succeeded', expiresAt: LessThan(now) }, order: { expiresAt: 'ASC' }, take: limit })).map(toJob);
  }

  async markExpired(id: string): Promise<void> {
    await this.repo.update({ id, status: 'succeeded' }, { status: 'expired', fileUrl: null });
  }

  async unfinished(before: Date, limit: number): Promise<ExportJob[]> {
    return (await this.repo.find({ where: { status: In(['queued', 'running']), createdAt: LessThan(before) }, order: { createdAt: 'ASC' }, take: limit })).map(toJob);
  }

  async requeue(id: string): Promise<void> {
    await this.repo.update({ id, status: 'running' }, { status: 'queued' });
  }
}
