import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { managerOf, Tx } from './transaction';
import { AppConfig } from '../config/app-config';
import type { Page, PageRequest } from '../pagination/pagination';
import { sortedBy } from './bulk-sql';
import { translated, translateDbError } from './db-errors';
import { newId } from './ids';
import { jsonParam, parseJson } from './json-column';

export type EventType = 'created' | 'updated' | 'deleted' | 'status_changed';

export interface NewEvent<T = unknown> {
  entityType: string;
  entityId: string;
  parentId?: string | null;
  eventType: EventType;
  /** A natural key that must be unique among live entities of this type (hashed when stored). */
  uniqueKey?: string | null;
  payload: T;
}

export interface ListOptions {
  parentId?: string;
  /** Equality filters on top-level payload fields (null matches a JSON null or a missing field). */
  where?: Record<string, string | null>;
  page: PageRequest;
}

/**
 * Compat mode's storage: the `events` table as an append-only log of entity snapshots (see
 * compat-schema.ts). An entity's state is its latest event; a `deleted` event ends it. The
 * compat adapters of every repository go through this class, the only code that writes `events`.
 *
 * Unique keys: the newest event of an entity holds its key; appending a new key or deleting the
 * entity first clears the key from the entity's older events, in the same transaction, so names
 * can move (rename) and be reused after a delete, while the partial unique index refuses two live
 * entities with one key, even under concurrent writes.
 */
@Injectable()
export class CompatEventStore {
  private readonly table: string;
  private readonly payloadJsonb: string;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    config: AppConfig,
  ) {
    this.table = `"${config.db.schema}"."events"`;
    this.payloadJsonb = config.db.useJsonb ? 'e.payload' : 'e.payload::jsonb';
  }

  /** Appends events in one statement (in the given transaction, else in one of its own). */
  async append(events: NewEvent[], tx?: Tx): Promise<void> {
    if (events.length === 0) return;
    const run = async (m: EntityManager): Promise<void> => {
      const rekeyed = events.filter((e) => e.eventType !== 'created' && (e.uniqueKey || e.eventType === 'deleted'));
      if (rekeyed.length > 0) {
        await m.query(
          `UPDATE ${this.table} SET unique_key = NULL
           WHERE unique_key IS NOT NULL AND (entity_type, entity_id) IN (SELECT * FROM unnest($1::text[], $2::uuid[]))`,
          [rekeyed.map((e) => e.entityType), rekeyed.map((e) => e.entityId)],
        );
      }
      await m.query(...this.insertSql(events, ''));
    };
    try {
      if (tx) await run(managerOf(this.dataSource, tx));
      else await this.dataSource.transaction(run);
    } catch (err) {
      throw translateDbError(err);
    }
  }

  /**
   * Appends `created` events whose unique key no live entity holds yet, skipping the others (the
   * partial unique index decides, so concurrent imports cannot both insert). Returns the ids of
   * the entities created.
   */
  async appendIfAbsent(events: NewEvent[], tx?: Tx): Promise<Set<string>> {
    if (events.length === 0) return new Set();
    if (events.some((e) => e.eventType !== 'created' || !e.uniqueKey)) throw new Error('appendIfAbsent takes created events with unique keys');
    // One lock order for every writer: sorted keys, so two imports never deadlock on each other.
    const sorted = sortedBy(events, (e) => e.uniqueKey!);
    const rows = await translated<{ entity_id: string }[]>(
      managerOf(this.dataSource, tx).query(
        ...this.insertSql(sorted, `ON CONFLICT (entity_type, unique_key) WHERE unique_key IS NOT NULL DO NOTHING RETURNING entity_id`),
      ),
    );
    return new Set(rows.map((r) => r.entity_id));
  }

  /**
   * The bulk upsert of compat mode: creates, for each distinct `key`, an entity whose unique key
   * no live entity holds yet (`build` gives its snapshot for a new id), and answers key → id for
   * every item, created now or before. Safe under concurrent calls (see appendIfAbsent).
   */
  async ensureMany<T>(
    entityType: string,
    items: T[],
    keys: { key: (item: T) => string; uniqueKey: (item: T) => string; parentId?: (item: T) => string },
    build: (item: T, id: string) => unknown,
    tx?: Tx,
  ): Promise<Map<string, string>> {
    const rows = [...new Map(items.map((item) => [keys.key(item), item])).values()];
    await this.appendIfAbsent(
      rows.map((item) => {
        const id = newId();
        return { entityType, entityId: id, parentId: keys.parentId?.(item), eventType: 'created' as const, uniqueKey: keys.uniqueKey(item), payload: build(item, id) };
      }),
      tx,
    );
    const ids = await this.idsByUniqueKeys(entityType, rows.map(keys.uniqueKey), tx);
    const out = new Map<string, string>();
    for (const item of rows) {
      const id = ids.get(keys.uniqueKey(item));
      if (id) out.set(keys.key(item), id);
    }
    return out;
  }

  /** The ids of the live entities holding the given unique keys. */
  async idsByUniqueKeys(entityType: string, uniqueKeys: string[], tx?: Tx): Promise<Map<string, string>> {
    if (uniqueKeys.length === 0) return new Map();
    const rows: { entity_id: string; unique_key: string }[] = await managerOf(this.dataSource, tx).query(
      `SELECT entity_id, unique_key FROM ${this.table} WHERE entity_type = $1 AND unique_key = ANY($2::text[])`,
      [entityType, uniqueKeys],
    );
    return new Map(rows.map((r) => [r.unique_key, r.entity_id]));
  }

  private insertSql(events: NewEvent[], suffix: string): [string, unknown[]] {
    const params: unknown[] = [];
    const rows = events.map((e) => {
      const base = params.length;
      params.push(
        newId(),
        e.entityType,
        e.entityId,
        e.parentId ?? null,
        e.eventType,
        e.uniqueKey && e.eventType !== 'deleted' ? e.uniqueKey : null,
        jsonParam(e.payload),
      );
      return `($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5}, $${base + 6}, $${base + 7})`;
    });
    return [`INSERT INTO ${this.table} (id, entity_type, entity_id, parent_id, event_type, unique_key, payload) VALUES ${rows.join(', ')} ${suffix}`, params];
  }

  /** The entity's latest snapshot, or null when it never existed or was deleted. */
  async latest<T>(entityType: string, entityId: string): Promise<T | null> {
    const rows: { event_type: EventType; payload: unknown }[] = await this.dataSource.query(
      `SELECT e.event_type, e.payload FROM ${this.table} e
       WHERE e.entity_type = $1 AND e.entity_id = $2 ORDER BY e.seq DESC LIMIT 1`,
      [entityType, entityId],
    );
    const row = rows[0];
    return row && row.event_type !== 'deleted' ? parseJson<T>(row.payload) : null;
  }

  /** The live entity holding a unique key, if any. */
  async findByUniqueKey<T>(entityType: string, uniqueKey: string): Promise<T | null> {
    const rows: { entity_id: string }[] = await this.dataSource.query(
      `SELECT entity_id FROM ${this.table} WHERE entity_type = $1 AND unique_key = $2`,
      [entityType, uniqueKey],
    );
    return rows[0] ? this.latest<T>(entityType, rows[0].entity_id) : null;
  }

  /** Live entities of a type (optionally of one parent), in creation order (ids are UUIDv7). */
  async list<T>(entityType: string, opts: ListOptions): Promise<Page<T>> {
    const params: unknown[] = [entityType];
    const where: string[] = ['e.entity_type = $1'];
    if (opts.parentId !== undefined) {
      params.push(opts.parentId);
      where.push(`e.parent_id = $${params.length}`);
    }
    const filters: string[] = [];
    for (const [field, value] of Object.entries(opts.where ?? {})) {
      params.push(field);
      const f = `$${params.length}`;
      if (value === null) filters.push(`(l.doc ->> ${f}) IS NULL`);
      else {
        params.push(value);
        filters.push(`(l.doc ->> ${f}) = $${params.length}`);
      }
    }
    params.push(opts.page.limit, opts.page.offset);
    const rows: { total: number; payload: unknown }[] = await this.dataSource.query(
      `WITH latest AS (
         SELECT DISTINCT ON (e.entity_id) e.entity_id, e.event_type, ${this.payloadJsonb} AS doc
         FROM ${this.table} e WHERE ${where.join(' AND ')}
         ORDER BY e.entity_id, e.seq DESC
       ), live AS (
         SELECT l.entity_id, l.doc FROM latest l
         WHERE l.event_type <> 'deleted' ${filters.map((f) => `AND ${f}`).join(' ')}
       )
       SELECT t.total, p.doc AS payload
       FROM (SELECT count(*)::int AS total FROM live) t
       LEFT JOIN LATERAL (
         SELECT entity_id, doc FROM live ORDER BY entity_id LIMIT $${params.length - 1} OFFSET $${params.length}
       ) p ON true
       ORDER BY p.entity_id`,
      params,
    );
    const total = rows[0]?.total ?? 0;
    const items = rows.filter((r) => r.payload !== null).map((r) => parseJson<T>(r.payload));
    return { items, total, limit: opts.page.limit, offset: opts.page.offset };
  }

  /** Ids of live children of a parent (for cascading deletes). */
  async liveChildIds(entityType: string, parentId: string): Promise<string[]> {
    const rows: { entity_id: string }[] = await this.dataSource.query(
      `SELECT entity_id FROM (
         SELECT DISTINCT ON (entity_id) entity_id, event_type FROM ${this.table}
         WHERE entity_type = $1 AND parent_id = $2 ORDER BY entity_id, seq DESC
       ) x WHERE event_type <> 'deleted'`,
      [entityType, parentId],
    );
    return rows.map((r) => r.entity_id);
  }

  /** Whether any live entity of the type refers to the given field value (e.g. questions of a persona). */
  async anyLiveWhere(entityType: string, field: string, value: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM (
         SELECT DISTINCT ON (e.entity_id) e.event_type, ${this.payloadJsonb} AS doc FROM ${this.table} e
         WHERE e.entity_type = $1 ORDER BY e.entity_id, e.seq DESC
       ) x WHERE x.event_type <> 'deleted' AND x.doc ->> $2 = $3 LIMIT 1`,
      [entityType, field, value],
    );
    return rows.length > 0;
  }

}

interface Timestamped {
  createdAt: Date;
  updatedAt: Date;
}

/** A record as compat mode stores it: the same fields, dates as ISO strings. */
export type Snapshot<T extends Timestamped> = Omit<T, 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt: string };

export function toSnapshot<T extends Timestamped>(record: T): Snapshot<T> {
  return { ...record, createdAt: record.createdAt.toISOString(), updatedAt: record.updatedAt.toISOString() };
}

export function fromSnapshot<T extends Timestamped>(snapshot: Snapshot<T>): T {
  return { ...snapshot, createdAt: new Date(snapshot.createdAt), updatedAt: new Date(snapshot.updatedAt) } as unknown as T;
}
