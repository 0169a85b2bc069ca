import type { JsonColumnType } from './json-column';

export const COMPAT_TABLES = ['events', 'results'] as const;

/**
 * The two tables of compat mode, for databases where the app may own nothing more.
 *
 * `events` is an append-only log of normalized records: every catalogue change and every state
 * change appends the entity's full snapshot, so an entity's current state is its latest event
 * (index events_entity_latest) and a parent's children are one index range (events_parent).
 * `unique_key` carries a natural key (a normalized name, an idempotency key) whose partial unique
 * index gives compat mode the same uniqueness guarantees as the full schema's constraints.
 *
 * `results` holds one row per run item from the moment the run starts: the item's state, and once
 * it is answered the response with its analysis, as JSON, plus the columns that runs, metrics and
 * exports filter and page on (an item's status changes in place: run state that changes hundreds of
 * times a second does not belong in an append-only log).
 *
 * Identity columns (not serial) so that the app's role needs INSERT on the table only, no
 * sequence privilege. Every statement is idempotent.
 */
export function compatSchemaSql(schema: string, json: JsonColumnType): string[] {
  const s = `"${schema}"`;
  return [
    `CREATE TABLE IF NOT EXISTS ${s}."events" (
  "id" uuid NOT NULL,
  "seq" bigint GENERATED ALWAYS AS IDENTITY,
  "entity_type" character varying(32) NOT NULL,
  "entity_id" uuid NOT NULL,
  "parent_id" uuid,
  "event_type" character varying(32) NOT NULL,
  "unique_key" character varying(256),
  "payload" ${json} NOT NULL,
  "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
  CONSTRAINT "PK_events" PRIMARY KEY ("id")
)`,
    `CREATE UNIQUE INDEX IF NOT EXISTS "UQ_events_seq" ON ${s}."events" ("seq")`,
    `CREATE INDEX IF NOT EXISTS "IDX_events_entity_latest" ON ${s}."events" ("entity_type", "entity_id", "seq" DESC)`,
    `CREATE INDEX IF NOT EXISTS "IDX_events_parent" ON ${s}."events" ("entity_type", "parent_id", "entity_id", "seq" DESC)`,
    `CREATE UNIQUE INDEX IF NOT EXISTS "UQ_events_unique_key" ON ${s}."events" ("entity_type", "unique_key") WHERE "unique_key" IS NOT NULL`,
    `CREATE TABLE IF NOT EXISTS ${s}."results" (
  "id" uuid NOT NULL,
  "seq" bigint GENERATED ALWAYS AS IDENTITY,
  "run_id" uuid NOT NULL,
  "run_item_id" uuid NOT NULL,
  "campaign_id" uuid,
  "provider" character varying(32) NOT NULL,
  "model" character varying(128) NOT NULL,
  "status" character varying(16) NOT NULL,
  "payload" ${json} NOT NULL,
  "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
  CONSTRAINT "PK_results" PRIMARY KEY ("id")
)`,
    // What a run's summary and search read, as columns (the payload holds them too): so that a
    // 100,000-item run's summary is an index scan, not 100,000 JSON documents parsed a second.
    // ADD COLUMN IF NOT EXISTS also brings a results table made by an older compat.sql up to date.
    `ALTER TABLE ${s}."results" ADD COLUMN IF NOT EXISTS "cost_usd" numeric(14,8)`,
    `ALTER TABLE ${s}."results" ADD COLUMN IF NOT EXISTS "cache_hit" boolean NOT NULL DEFAULT false`,
    `ALTER TABLE ${s}."results" ADD COLUMN IF NOT EXISTS "last_error" text`,
    `ALTER TABLE ${s}."results" ADD COLUMN IF NOT EXISTS "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()`,
    `ALTER TABLE ${s}."results" ADD COLUMN IF NOT EXISTS "finished_at" TIMESTAMP WITH TIME ZONE`,
    `ALTER TABLE ${s}."results" ADD COLUMN IF NOT EXISTS "text_search" tsvector`,
    // What the metrics aggregate (the analysis' figures, tokens, latency, the slice keys), so that a
    // run's metrics are one scan of plain columns (docs/ANALYSIS.md, "Metrics").
    ...[
      `"brand_mentioned" boolean`,
      `"brand_rank" integer`,
      `"sentiment" character varying(16)`,
      `"analysis_key" character varying(64)`,
      `"own_domain_cited" boolean`,
      `"citation_count" integer`,
      `"own_citation_count" integer`,
      `"competitors_mentioned" text array`,
      `"cited_domains" text array`,
      `"input_tokens" integer`,
      `"output_tokens" integer`,
      `"latency_ms" integer`,
      `"topic_id" uuid`,
      `"persona_id" uuid`,
    ].map((column) => `ALTER TABLE ${s}."results" ADD COLUMN IF NOT EXISTS ${column}`),
    `CREATE UNIQUE INDEX IF NOT EXISTS "UQ_results_run_item" ON ${s}."results" ("run_item_id")`,
    `CREATE INDEX IF NOT EXISTS "IDX_results_run" ON ${s}."results" ("run_id", "seq")`,
    `CREATE INDEX IF NOT EXISTS "IDX_results_campaign" ON ${s}."results" ("campaign_id", "created_at")`,
    `CREATE INDEX IF NOT EXISTS "IDX_results_run_status" ON ${s}."results" ("run_id", "status", "cost_usd", "cache_hit", "finished_at")`,
    `CREATE INDEX IF NOT EXISTS "IDX_results_errors" ON ${s}."results" ("run_id", "updated_at") WHERE "last_error" IS NOT NULL`,
    `CREATE INDEX IF NOT EXISTS "IDX_results_text_search" ON ${s}."results" USING gin ("text_search")`,
  ];
}
