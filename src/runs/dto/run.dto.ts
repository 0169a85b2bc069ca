import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Run } from '../run.repository';
import type { ItemError, StatusCounts } from '../run-item.repository';

export class ProviderSettingOutDto {
  @ApiProperty() provider!: string;
  @ApiProperty() model!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) settings!: Record<string, unknown>;
}

export class RunCountsDto {
  @ApiProperty() total!: number;
  @ApiProperty() pending!: number;
  @ApiProperty() queued!: number;
  @ApiProperty() running!: number;
  @ApiProperty() succeeded!: number;
  @ApiProperty() failed!: number;
  @ApiProperty() cancelled!: number;
}

export class RunErrorDto {
  @ApiProperty({ format: 'uuid' }) run_item_id!: string;
  @ApiProperty() message!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class RunFiltersOutDto {
  @ApiProperty({ type: [String] }) topic_ids!: string[];
  @ApiProperty({ type: [String] }) persona_ids!: string[];
}

/** A run with its progress: what every run route answers. */
export class RunSummaryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) campaign_id!: string;
  @ApiProperty({ nullable: true, type: String }) label!: string | null;
  @ApiProperty({ enum: ['created', 'running', 'completed', 'completed_with_errors', 'cancelled'] }) status!: string;
  @ApiProperty({ type: [ProviderSettingOutDto] }) provider_settings!: ProviderSettingOutDto[];
  @ApiProperty() samples!: number;
  @ApiProperty() prompt_version!: string;
  @ApiProperty({ type: RunFiltersOutDto }) filters!: RunFiltersOutDto;
  @ApiPropertyOptional({ nullable: true, type: String, format: 'uuid' }) schedule_id!: string | null;
  @ApiProperty({ type: RunCountsDto }) counts!: RunCountsDto;
  @ApiProperty({ description: 'Share of items in a terminal status (0..1)' }) progress!: number;
  @ApiProperty({ description: 'Items finished per minute over the last minute' }) throughput_per_min!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'Seconds until the run is done at the current throughput' }) eta_seconds!: number | null;
  @ApiProperty({ description: 'Cost of the answers stored so far (cache hits cost nothing)' }) cost_usd!: number;
  @ApiProperty({ description: 'Answers reused from another run (RESPONSE_CACHE_TTL_SECONDS)' }) cache_hits!: number;
  @ApiProperty({ type: [RunErrorDto], description: 'The latest errors: failed items, and items waiting for a retry' }) errors!: RunErrorDto[];
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) started_at!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) finished_at!: string | null;
}

export interface SummaryFigures {
  counts: StatusCounts;
  costUsd: number;
  cacheHits: number;
  finishedLastMinute: number;
  errors: ItemError[];
}

const TERMINAL = ['succeeded', 'failed', 'cancelled'] as const;

export function toRunSummaryDto(run: Run, f: SummaryFigures, now = Date.now()): RunSummaryDto {
  const done = TERMINAL.reduce((n, s) => n + f.counts[s], 0);
  const total = f.counts.total;
  // Over the last minute, or since the start when the run is younger than that.
  const window = run.startedAt ? Math.min(60, Math.max(1, (now - run.startedAt.getTime()) / 1000)) : 60;
  const perMin = run.status === 'running' || f.finishedLastMinute > 0 ? (f.finishedLastMinute * 60) / window : 0;
  const remaining = total - done;
  return {
    id: run.id,
    campaign_id: run.campaignId,
    label: run.label,
    status: run.status,
    provider_settings: run.providerSettings,
    samples: run.samples,
    prompt_version: run.promptVersion,
    filters: { topic_ids: run.filters.topicIds, persona_ids: run.filters.personaIds },
    schedule_id: run.scheduleId,
    counts: { ...f.counts },
    progress: total === 0 ? 0 : Math.round((done / total) * 10_000) / 10_000,
    throughput_per_min: Math.round(perMin * 10) / 10,
    eta_seconds: run.status === 'running' && perMin > 0 ? Math.ceil((remaining / perMin) * 60) : run.status === 'running' ? null : 0,
    cost_usd: Math.round(f.costUsd * 1e6) / 1e6,
    cache_hits: f.cacheHits,
    errors: f.errors.map((e) => ({ run_item_id: e.runItemId, message: e.message, at: e.at.toISOString() })),
    created_at: run.createdAt.toISOString(),
    started_at: run.startedAt?.toISOString() ?? null,
    finished_at: run.finishedAt?.toISOString() ?? null,
  };
}

export class ResumeResultDto {
  @ApiProperty({ description: 'Items put back on the queue: failed ones, and queued or running ones whose job was lost' }) requeued!: number;
}
