import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsNotEmpty, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import type { Schedule } from '../schedule.repository';
import { RunSettingsDto } from './create-run.dto';

export class CreateScheduleDto {
  @ApiProperty({ example: '0 6 * * 1', maxLength: 120, description: 'Cron pattern (5 fields, or 6 with seconds)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(120)
  cron!: string;

  @ApiPropertyOptional({ example: 'Europe/Berlin', default: 'UTC', maxLength: 64, description: 'IANA time zone the pattern is read in' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  timezone?: string;

  @ApiProperty({ type: RunSettingsDto, description: 'The run each firing creates and starts' })
  @ValidateNested()
  @Type(() => RunSettingsDto)
  run!: RunSettingsDto;
}

export class ScheduleDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) campaign_id!: string;
  @ApiProperty() cron!: string;
  @ApiProperty() timezone!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) run!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) next_run_at!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) last_run_at!: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) last_run_id!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export function toScheduleDto(s: Schedule, nextRunAt: Date | null): ScheduleDto {
  return {
    id: s.id,
    campaign_id: s.campaignId,
    cron: s.cron,
    timezone: s.timezone,
    run: s.runTemplate,
    next_run_at: nextRunAt?.toISOString() ?? null,
    last_run_at: s.lastRunAt?.toISOString() ?? null,
    last_run_id: s.lastRunId,
    created_at: s.createdAt.toISOString(),
  };
}
