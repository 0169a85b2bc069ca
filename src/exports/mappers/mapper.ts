import { ExportRecord } from '../export-record';

/**
 * Export mappers: how an export leaves the engine for a partner's system instead of a file.
 *
 * How to add a mapper
 * 1. Create `src/exports/mappers/<name>.mapper.ts` with a class implementing `ExportMapper<C>`,
 *    where `C` is the mapper's normalized config type; `name` is what clients send as the export's
 *    `mapper` (lower-case, stable: it is stored with every export).
 * 2. `parseConfig` gets the request's `config` as untrusted JSON: check every field, refuse unknown
 *    keys, apply defaults, and throw one `MapperConfigError` listing every problem with field
 *    names such as "config.url" (the API answers 400 with them as `errors[]`).
 * 3. `redact` returns what may be stored and shown: every secret masked (`maskSecret`), never the
 *    raw value. The unredacted config only travels to the worker that delivers.
 * 4. A mapper that talks to a network target must check it with `assertPublicTarget` (ssrf-guard)
 *    in `checkTarget`, and again at connection time (`guardedLookup`), because DNS can change
 *    between the request and the run.
 * 5. `deliver` consumes the records lazily (keep at most one batch in memory), records the outcome
 *    of every batch and goes on after a failed one; it throws only when the whole export must fail
 *    (target refused, aborted through `ctx.signal`).
 * 6. Add an instance to the `MapperRegistry` in the exports module, and a `<name>.mapper.spec.ts`
 *    beside it that delivers to a real local receiver.
 */

/** What happened to one batch: one entry per batch, in order. */
export interface DeliveryOutcome {
  /** 1-based batch number. */
  batch: number;
  rows: number;
  status: 'delivered' | 'failed';
  attempts: number;
  /** The final attempt's HTTP status; null when no response came back (network error, timeout). */
  http_status: number | null;
  /** Why the batch failed, without secrets; null when delivered. */
  error: string | null;
  /** ISO time the batch was settled. */
  at: string;
  /** From the first attempt to the settlement, retries and back-off included. */
  duration_ms: number;
}

export interface MapperResult {
  rows: number;
  delivered: number;
  failed: number;
  deliveries: DeliveryOutcome[];
}

/** The request's mapper config is invalid; the service answers 400 with `errors[]`. */
export class MapperConfigError extends Error {
  constructor(readonly errors: { field: string; message: string }[]) {
    super(`invalid mapper config: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`);
    this.name = 'MapperConfigError';
  }
}

/**
 * The delivery target is not allowed (SSRF guard: private address, bad scheme, credentials in the
 * URL, unresolvable host). Refused at request time (4xx) and fails the export at run time. The
 * message names the host and the reason, never the full URL (paths and queries can hold tokens).
 */
export class MapperTargetRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MapperTargetRefused';
  }
}

export interface MapperLogger {
  warn(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
}

export interface MapperContext {
  exportId: string;
  runId: string;
  /** Aborting stops the delivery between and during requests; `deliver` then rejects. */
  signal?: AbortSignal;
  logger?: MapperLogger;
}

export interface ExportMapper<C = unknown> {
  readonly name: string;
  /** Validates and normalizes the request's `config` (unknown input!); throws MapperConfigError naming fields like "config.url". */
  parseConfig(raw: unknown): C;
  /** The config as stored in the database: secrets masked (e.g. "****" + last 2 chars, or just "****"). */
  redact(config: C): Record<string, unknown>;
  /** Checked when the export is requested and again before delivering: throws MapperTargetRefused. */
  checkTarget(config: C): Promise<void>;
  /** Maps and delivers every record; never throws for a failed batch (records it), throws only for what makes the whole export fail (target refused, aborted). */
  deliver(records: AsyncIterable<ExportRecord>, config: C, ctx: MapperContext): Promise<MapperResult>;
}

/** "****" plus the last two characters for secrets long enough that this gives little away. */
export function maskSecret(secret: string): string {
  return secret.length >= 16 ? `****${secret.slice(-2)}` : '****';
}

/** The mappers the engine knows, by name. Plain class: the exports module builds it. */
export class MapperRegistry {
  private readonly byName = new Map<string, ExportMapper>();

  constructor(mappers: ExportMapper[]) {
    for (const m of mappers) {
      if (this.byName.has(m.name)) throw new Error(`mapper "${m.name}" is registered twice`);
      this.byName.set(m.name, m);
    }
  }

  get(name: string): ExportMapper | undefined {
    return this.byName.get(name);
  }

  /** Registration order, for error messages and the API docs. */
  names(): string[] {
    return [...this.byName.keys()];
  }
}
