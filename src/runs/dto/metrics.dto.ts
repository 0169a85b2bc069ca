import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

export const METRICS_DIMENSIONS = ['provider', 'model', 'topic', 'persona'] as const;

export class RunMetricsQueryDto {
  @ApiPropertyOptional({ enum: METRICS_DIMENSIONS, description: 'Slice the metrics by this dimension (besides the overall figures).' })
  @IsOptional()
  @IsIn(METRICS_DIMENSIONS)
  by?: (typeof METRICS_DIMENSIONS)[number];
}

export class SentimentMixDto {
  @ApiProperty({ nullable: true, type: Number, description: 'Share of the answers mentioning the brand whose sentiment toward it is positive.' }) positive!: number | null;
  @ApiProperty({ nullable: true, type: Number }) neutral!: number | null;
  @ApiProperty({ nullable: true, type: Number }) negative!: number | null;
}

export class DomainCountDto {
  @ApiProperty({ description: 'Registrable domain (public suffix list).' }) domain!: string;
  @ApiProperty({ description: 'Answers citing the domain at least once.' }) count!: number;
}

export class CompetitorMetricsDto {
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'Answers mentioning the competitor.' }) mentions!: number;
  @ApiProperty({ nullable: true, type: Number }) mention_rate!: number | null;
  @ApiProperty({ type: [Number], description: '95% Wilson interval of mention_rate.' }) mention_rate_ci!: [number, number];
  @ApiProperty({ nullable: true, type: Number, description: 'mentions ÷ (answers mentioning the brand + Σ answers mentioning each competitor).' }) share_of_voice!: number | null;
}

export class TokensDto {
  @ApiProperty() input!: number;
  @ApiProperty() output!: number;
}

export class LatencyDto {
  @ApiProperty({ nullable: true, type: Number }) p50!: number | null;
  @ApiProperty({ nullable: true, type: Number }) p95!: number | null;
}

/** The metrics M of a group of answers; every figure and denominator is defined in docs/ANALYSIS.md. */
export class MetricsDto {
  @ApiProperty({ description: 'Answers (succeeded run items) in the group.' }) answers!: number;
  @ApiProperty({ description: 'Answers mentioning the brand.' }) mentions!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'mentions ÷ answers; null without answers.' }) mention_rate!: number | null;
  @ApiProperty({ type: [Number], description: '95% Wilson score interval [lo, hi] of mention_rate ([0, 1] without answers).' }) mention_rate_ci!: [number, number];
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Share of voice: answers mentioning the brand ÷ the sum, over all tracked brands (the brand and each competitor), of the answers mentioning that brand.',
  })
  share_of_voice!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: "Mean rank of the brand's first mention among tracked brands, over answers mentioning it." }) avg_rank!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Answers where the brand ranks 1–3 ÷ answers.' }) top3_rate!: number | null;
  @ApiProperty({ type: SentimentMixDto }) sentiment!: SentimentMixDto;
  @ApiProperty({ nullable: true, type: Number, description: "Answers citing at least one of the brand's own domains ÷ answers." }) citation_rate!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Answers with at least one citation ÷ answers.' }) any_citation_rate!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: "Citations of the brand's own domains ÷ all citations." }) own_domain_citation_share!: number | null;
  @ApiProperty({ type: [DomainCountDto], description: 'The 10 registrable domains cited by the most answers.' }) top_domains!: DomainCountDto[];
  @ApiProperty({ type: [CompetitorMetricsDto] }) competitors!: CompetitorMetricsDto[];
  @ApiProperty({ type: TokensDto }) tokens!: TokensDto;
  @ApiProperty() cost_usd!: number;
  @ApiProperty({ type: LatencyDto }) latency_ms!: LatencyDto;
}

export class AnalysisStateDto {
  @ApiProperty() version!: string;
  @ApiProperty({ description: "Identifies the analysis rules and the campaign's current brand, aliases, domains and competitors." }) config_key!: string;
  @ApiPropertyOptional({ description: 'Answers analysed with another configuration (POST /runs/{id}:rescore brings them up to date).' }) stale_answers?: number;
}

export class MetricsSliceDto extends MetricsDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string', nullable: true },
    example: { provider: 'openai' },
    description: 'provider; provider + model; topic_id + topic_title; or persona_id + persona_name.',
  })
  key!: Record<string, string | null>;
}

export class RunMetricsDto {
  @ApiProperty({ format: 'uuid' }) run_id!: string;
  @ApiProperty({ nullable: true, enum: METRICS_DIMENSIONS, type: String }) by!: string | null;
  @ApiProperty({ type: AnalysisStateDto }) analysis!: AnalysisStateDto;
  @ApiProperty({ type: MetricsDto }) overall!: MetricsDto;
  @ApiProperty({ type: [MetricsSliceDto] }) slices!: MetricsSliceDto[];
}

export class RunChangeDto {
  @ApiProperty({ nullable: true, type: Number, description: 'mention_rate minus the previous run’s.' }) mention_rate!: number | null;
  @ApiProperty({ nullable: true, type: Number }) share_of_voice!: number | null;
  @ApiProperty({ description: "The two runs' 95% intervals of mention_rate overlap: the change may be sampling noise." }) within_noise!: boolean;
}

export class RunTrendDto extends MetricsDto {
  @ApiProperty({ format: 'uuid' }) run_id!: string;
  @ApiProperty({ nullable: true, type: String }) label!: string | null;
  @ApiProperty() status!: string;
  @ApiProperty({ format: 'date-time' }) finished_at!: string;
  @ApiProperty() stale_answers!: number;
  @ApiProperty({ nullable: true, type: RunChangeDto, description: 'Against the previous finished run; null for the first.' }) change!: RunChangeDto | null;
}

export class CampaignMetricsDto {
  @ApiProperty({ format: 'uuid' }) campaign_id!: string;
  @ApiProperty({ type: AnalysisStateDto }) analysis!: AnalysisStateDto;
  @ApiProperty({ type: [RunTrendDto], description: 'Finished runs, oldest first.' }) runs!: RunTrendDto[];
}

export class RescoreDto {
  @ApiProperty({ format: 'uuid' }) run_id!: string;
  @ApiProperty() analysis_version!: string;
  @ApiProperty() config_key!: string;
  @ApiProperty({ description: 'Answers whose analysis is being recomputed.' }) stale_answers!: number;
  @ApiProperty({ enum: ['queued', 'up_to_date'] }) status!: 'queued' | 'up_to_date';
}
