import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { NumericColumn } from '../core/database/columns';
import { JsonColumn } from '../core/database/json-column';
import { RunItemEntity } from './run-item.entity';

@Entity({ name: 'responses' })
// A run's answers in time order, with what the run summary adds up: the summary is an index-only scan.
@Index('IDX_responses_run', ['runId', 'createdAt', 'costUsd', 'cacheHit'])
// Full-text search over answers (`q` on the items list): a GIN index, which TypeORM cannot declare;
// the migration creates it by hand and the schema diff leaves it alone.
@Index('IDX_responses_text_search', { synchronize: false })
export class ResponseEntity {
  @PrimaryColumn('uuid')
  id!: string;

  /** One response per run item: a redelivered job can never store a second one. */
  @Index('UQ_responses_run_item', { unique: true })
  @Column({ name: 'run_item_id', type: 'uuid' })
  runItemId!: string;

  @ManyToOne(() => RunItemEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'run_item_id', foreignKeyConstraintName: 'FK_responses_run_item' })
  runItem?: RunItemEntity;

  /** Denormalized from the item so that a run's responses are read without a join. */
  @Column({ name: 'run_id', type: 'uuid' })
  runId!: string;

  @Column({ type: 'varchar', length: 32 })
  provider!: string;

  /** The model that was asked for. */
  @Column({ type: 'varchar', length: 128 })
  model!: string;

  /** The model the provider says answered. */
  @Column({ name: 'served_model', type: 'varchar', length: 128, nullable: true })
  servedModel!: string | null;

  @Column({ name: 'prompt_version', type: 'varchar', length: 50 })
  promptVersion!: string;

  @Column({ name: 'prompt_hash', type: 'varchar', length: 64, nullable: true })
  promptHash!: string | null;

  /** The request as sent, with secrets removed. */
  @JsonColumn({ name: 'request_json' })
  requestJson!: unknown;

  @JsonColumn({ name: 'response_json' })
  responseJson!: unknown;

  @Column({ type: 'text' })
  text!: string;

  /**
   * The answer's words for full-text search, computed once when the answer is stored
   * (to_tsvector('simple', text): any language, no stemming). Searching a stored vector costs
   * microseconds a row; parsing every answer again at query time cost seconds on a big run.
   */
  @Column({ name: 'text_search', type: 'tsvector', nullable: true, select: false })
  textSearch?: string | null;

  /** [{url, title, domain, position, cited_text?}] */
  @JsonColumn({ name: 'citations_json' })
  citationsJson!: unknown[];

  @JsonColumn({ name: 'search_queries', nullable: true })
  searchQueries!: string[] | null;

  /** What else the provider said: sources it read but did not cite, finish reason, where the cost came from. */
  @JsonColumn({ nullable: true })
  details!: Record<string, unknown> | null;

  @JsonColumn({ name: 'token_usage_json' })
  tokenUsageJson!: Record<string, unknown>;

  @Column({ name: 'input_tokens', type: 'integer', nullable: true })
  inputTokens!: number | null;

  @Column({ name: 'output_tokens', type: 'integer', nullable: true })
  outputTokens!: number | null;

  @NumericColumn(14, 8, { name: 'cost_usd', nullable: true })
  costUsd!: number | null;

  @Column({ name: 'latency_ms', type: 'integer', nullable: true })
  latencyMs!: number | null;

  /** The analysis (mentions, rank, sentiment, cited domains) of this answer. */
  @JsonColumn({ nullable: true })
  analysis!: Record<string, unknown> | null;

  @Column({ name: 'brand_mentioned', type: 'boolean', nullable: true })
  brandMentioned!: boolean | null;

  @Column({ name: 'brand_rank', type: 'integer', nullable: true })
  brandRank!: number | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  sentiment!: string | null;

  // What the metrics aggregate, as columns beside the analysis JSON, so that a run's metrics are
  // one scan of plain columns, not 100,000 JSON documents parsed (docs/ANALYSIS.md, "Metrics").

  /** The analysis version and tracked-brand configuration the analysis was made with (stale when it differs from the campaign's). */
  @Column({ name: 'analysis_key', type: 'varchar', length: 64, nullable: true })
  analysisKey!: string | null;

  @Column({ name: 'own_domain_cited', type: 'boolean', nullable: true })
  ownDomainCited!: boolean | null;

  @Column({ name: 'citation_count', type: 'integer', nullable: true })
  citationCount!: number | null;

  @Column({ name: 'own_citation_count', type: 'integer', nullable: true })
  ownCitationCount!: number | null;

  /** Competitors mentioned, by name. */
  @Column({ name: 'competitors_mentioned', type: 'text', array: true, nullable: true })
  competitorsMentioned!: string[] | null;

  /** Registrable domains cited, each once. */
  @Column({ name: 'cited_domains', type: 'text', array: true, nullable: true })
  citedDomains!: string[] | null;

  /** The answer was reused from another run's identical request (RESPONSE_CACHE_TTL_SECONDS): nothing was paid for it. */
  @Column({ name: 'cache_hit', type: 'boolean', default: false })
  cacheHit!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
