import { ApiProperty } from '@nestjs/swagger';
import type { RunItemView } from '../run-item.repository';

export class CitationDto {
  @ApiProperty() url!: string;
  @ApiProperty({ nullable: true, type: String }) title!: string | null;
  @ApiProperty() domain!: string;
  @ApiProperty() position!: number;
}

export class UsageDto {
  @ApiProperty({ nullable: true, type: Number }) input_tokens!: number | null;
  @ApiProperty({ nullable: true, type: Number }) output_tokens!: number | null;
}

export class ResponseOutDto {
  @ApiProperty() text!: string;
  @ApiProperty({ type: [CitationDto] }) citations!: CitationDto[];
  @ApiProperty({ type: UsageDto }) usage!: UsageDto;
  @ApiProperty({ nullable: true, type: Number }) latency_ms!: number | null;
  @ApiProperty({ nullable: true, type: Number }) cost_usd!: number | null;
  @ApiProperty({ nullable: true, type: String }) served_model!: string | null;
  @ApiProperty() cache_hit!: boolean;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class AnalysisOutDto {
  @ApiProperty() brand_mentioned!: boolean;
  @ApiProperty({ nullable: true, type: Number }) brand_rank!: number | null;
  @ApiProperty({ nullable: true, type: String }) sentiment!: string | null;
  @ApiProperty({ type: [String] }) competitors_mentioned!: string[];
  @ApiProperty({ type: [String] }) cited_domains!: string[];
  @ApiProperty() own_domain_cited!: boolean;
  @ApiProperty({ nullable: true, type: Boolean, description: 'The brand ranks 1–3 among the tracked brands mentioned.' }) top3!: boolean | null;
  @ApiProperty({ nullable: true, type: Boolean, description: 'The brand appears only where the engine says it does not know it ("I couldn\'t find information about …").' })
  brand_not_known!: boolean | null;
  @ApiProperty({ type: [String], description: 'Competitors that appear only in such statements.' }) competitors_not_known!: string[];
  @ApiProperty({ nullable: true, type: Number, description: 'Mean lexicon score of what is said about the brand (about -5…5).' }) sentiment_score!: number | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: "Share (0–1) of the answer's position-weighted words in sentences citing the brand's own domains (GEO, Aggarwal et al. 2023).",
  })
  position_adjusted_word_count!: number | null;
  @ApiProperty({ nullable: true, type: String, description: 'Analysis version and tracked-brand configuration it was made with.' }) config_key!: string | null;
}

export class RunItemDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) question_id!: string;
  @ApiProperty() question_text!: string;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) topic_id!: string | null;
  @ApiProperty({ nullable: true, type: String }) topic_title!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) persona_id!: string | null;
  @ApiProperty({ nullable: true, type: String }) persona_name!: string | null;
  @ApiProperty() provider!: string;
  @ApiProperty() model!: string;
  @ApiProperty() sample_index!: number;
  @ApiProperty({ enum: ['pending', 'queued', 'running', 'succeeded', 'failed', 'cancelled'] }) status!: string;
  @ApiProperty() attempt_count!: number;
  @ApiProperty({ nullable: true, type: String }) last_error!: string | null;
  @ApiProperty({ nullable: true, type: ResponseOutDto }) response!: ResponseOutDto | null;
  @ApiProperty({ nullable: true, type: AnalysisOutDto }) analysis!: AnalysisOutDto | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) started_at!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) finished_at!: string | null;
}

export function toRunItemDto(i: RunItemView): RunItemDto {
  const r = i.response;
  const a = r?.analysis ?? null;
  return {
    id: i.id,
    question_id: i.questionId,
    question_text: i.questionText,
    topic_id: i.topicId,
    topic_title: i.topicTitle,
    persona_id: i.personaId,
    persona_name: i.personaName,
    provider: i.provider,
    model: i.model,
    sample_index: i.sampleIndex,
    status: i.status,
    attempt_count: i.attemptCount,
    last_error: i.lastError,
    response: r
      ? {
          text: r.text,
          citations: r.citations.map((c) => ({ url: c.url, title: c.title, domain: c.domain, position: c.position })),
          usage: { input_tokens: r.usage.input_tokens ?? null, output_tokens: r.usage.output_tokens ?? null },
          latency_ms: r.latencyMs,
          cost_usd: r.costUsd,
          served_model: r.servedModel,
          cache_hit: r.cacheHit,
          created_at: r.createdAt.toISOString(),
        }
      : null,
    analysis: a
      ? {
          brand_mentioned: a.brand_mentioned,
          brand_rank: a.brand_rank,
          sentiment: a.sentiment,
          competitors_mentioned: a.competitors_mentioned,
          cited_domains: a.cited_domains,
          own_domain_cited: a.own_domain_cited,
          top3: typeof a.top3 === 'boolean' ? a.top3 : a.brand_rank === null ? false : a.brand_rank <= 3,
          brand_not_known: typeof a.brand_not_known === 'boolean' ? a.brand_not_known : null,
          competitors_not_known: Array.isArray(a.competitors_not_known) ? (a.competitors_not_known as string[]) : [],
          sentiment_score: typeof a.sentiment_score === 'number' ? a.sentiment_score : null,
          position_adjusted_word_count: typeof a.position_adjusted_word_count === 'number' ? a.position_adjusted_word_count : null,
          config_key: typeof a.config_key === 'string' ? a.config_key : null,
        }
      : null,
    created_at: i.createdAt.toISOString(),
    started_at: i.startedAt?.toISOString() ?? null,
    finished_at: i.finishedAt?.toISOString() ?? null,
  };
}
