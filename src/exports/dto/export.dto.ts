import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsObject, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import type { ExportJob } from '../export-job.repository';
import { EXPORT_FORMATS, type ExportFormat } from '../writers';

const toBool = ({ value }: { value: unknown }): unknown => (value === 'true' ? true : value === 'false' ? false : value);

export class DownloadQueryDto {
  @ApiProperty({ enum: EXPORT_FORMATS })
  @IsIn(EXPORT_FORMATS)
  format!: ExportFormat;

  @ApiPropertyOptional({ type: Boolean, default: false, description: 'CSV: start with a UTF-8 byte order mark, so that Excel reads the file as UTF-8.' })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  bom?: boolean;

  @ApiPropertyOptional({ type: Boolean, default: false, description: "JSONL: include each provider's raw response body." })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  raw?: boolean;
}

export class CreateExportDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  run_id!: string;

  @ApiProperty({ enum: EXPORT_FORMATS, description: 'The file format; a mapper sends JSON batches whatever the format.' })
  @IsIn(EXPORT_FORMATS)
  format!: ExportFormat;

  @ApiPropertyOptional({ example: 'webhook', description: 'Deliver through this mapper instead of writing a file.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  mapper?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { url: 'https://partner.example.com/geo-hook', secret: 'a-long-shared-secret', batch_size: 500 },
    description: "The mapper's configuration (webhook: url, secret of 16–512 characters, batch_size). Secrets are never stored: the database keeps them masked.",
  })
  @IsOptional()
  @IsObject()
  config?: Record<string, unknown>;

  @ApiPropertyOptional({ type: Boolean, default: false })
  @IsOptional()
  @IsBoolean()
  bom?: boolean;

  @ApiPropertyOptional({ type: Boolean, default: false })
  @IsOptional()
  @IsBoolean()
  raw?: boolean;
}

export class ExportDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) run_id!: string;
  @ApiProperty({ enum: EXPORT_FORMATS }) format!: string;
  @ApiProperty({ nullable: true, type: String }) mapper_name!: string | null;
  @ApiProperty({ enum: ['queued', 'running', 'succeeded', 'failed', 'expired'] }) status!: string;
  @ApiProperty({ nullable: true, type: String, description: 'Where the file is served, once written.' }) file_url!: string | null;
  @ApiProperty({ nullable: true, type: Number }) row_count!: number | null;
  @ApiProperty({ nullable: true, type: Number }) size_bytes!: number | null;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Options, or the mapper configuration with its secret masked.' }) config!: Record<string, unknown>;
  @ApiProperty({ nullable: true, type: 'array', items: { type: 'object', additionalProperties: true }, description: "A mapper's deliveries: batch, rows, status, attempts, http_status, error, at." })
  deliveries!: Record<string, unknown>[] | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) finished_at!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) expires_at!: string | null;
}

export function toExportDto(j: ExportJob): ExportDto {
  return {
    id: j.id,
    run_id: j.runId,
    format: j.format,
    mapper_name: j.mapperName,
    status: j.status,
    file_url: j.status === 'succeeded' && j.fileName ? `/api/v1/exports/${j.id}/file` : null,
    row_count: j.rowCount,
    size_bytes: j.sizeBytes,
    error: j.error,
    config: j.config,
    deliveries: Array.isArray(j.details?.deliveries) ? (j.details.deliveries as Record<string, unknown>[]) : null,
    created_at: j.createdAt.toISOString(),
    finished_at: j.finishedAt?.toISOString() ?? null,
    expires_at: j.expiresAt?.toISOString() ?? null,
  };
}
