import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
  ValidationError,
} from 'class-validator';

/** Strings such as "true", "1", "yes" become booleans; anything else is left for @IsBoolean to refuse. */
const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off', ''].includes(v)) return false;
  return value;
};

/** Integers must be written as integers: "12abc" and "1.5" are refused rather than truncated. */
const toInt = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim();
  return /^-?\d+$/.test(v) ? Number(v) : value;
};

const PG_URL = /^postgres(ql)?:\/\/.+/;
const REDIS_URL = /^rediss?:\/\/.+/;
const HTTP_URL = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/** The variables the database tooling needs (TypeORM CLI, offline SQL); the app's env extends it. */
export class DatabaseEnv {
  @IsOptional()
  @Matches(PG_URL, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;

  @IsOptional()
  @Matches(PG_URL, { message: 'LOCAL_DATABASE_URL must be a postgres:// URL' })
  LOCAL_DATABASE_URL?: string;

  @Matches(/^[a-z_][a-z0-9_]{0,62}$/, {
    message: 'DB_SCHEMA must be a lower-case SQL identifier (letters, digits, underscores; at most 63)',
  })
  DB_SCHEMA = 'geo_app';

  @Transform(toBoolean)
  @IsBoolean()
  DB_APPLY_MIGRATIONS = false;

  @Transform(toBoolean)
  @IsBoolean()
  DB_COMPAT_MODE = false;

  @Transform(toBoolean)
  @IsBoolean()
  USE_JSONB = true;

  /** Connections the pool keeps (SQLAlchemy's pool_size). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  DB_POOL_SIZE = 10;

  /** Extra connections the pool may open under load (max_overflow); the pool holds at most size + overflow. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(500)
  DB_POOL_MAX_OVERFLOW = 20;

  /** A connection older than this is closed when released (pool_recycle). 0 disables. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  DB_POOL_RECYCLE_SECONDS = 1800;

  /** Idle connections above the pool size are closed after this long. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  DB_POOL_IDLE_TIMEOUT_MS = 30000;

  /** pool_pre_ping equivalent: TCP keepalive on every connection and eviction of connections that error while idle. */
  @Transform(toBoolean)
  @IsBoolean()
  DB_POOL_PRE_PING = true;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  DB_CONNECT_TIMEOUT_MS = 10000;

  /** Server-side statement timeout sent at connect time (not in pgbouncer mode, which refuses startup options). 0 = none. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  DB_STATEMENT_TIMEOUT_MS = 60000;

  /** The app's login role, for the GRANTs the offline SQL appends (scripts/migrations-offline.sh only). */
  @IsOptional()
  @Matches(/^[a-z_][a-z0-9_$]{0,62}$/, { message: 'DB_APP_ROLE must be a lower-case SQL identifier' })
  DB_APP_ROLE?: string;

  /** Transaction-pooling pgbouncer in front of Postgres: no session state, no startup options, no named statements. */
  @Transform(toBoolean)
  @IsBoolean()
  DB_PGBOUNCER = false;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Every variable of the product (docs/product.md, docs/api-contract.md), with its default. */
export class AppEnv extends DatabaseEnv {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  /**
   * Connections the kernel queues for the API before it accepts them (the kernel caps it at
   * net.core.somaxconn). Node's default, 511, overflows when hundreds of clients connect at once:
   * the dropped handshakes are retried by the clients after 1, 3, 7 s.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  LISTEN_BACKLOG = 4096;

  @Matches(REDIS_URL, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  /**
   * Redis Sentinel: comma-separated host:port of the sentinels. When set, the sentinels name the
   * primary of REDIS_SENTINEL_NAME (and a failover moves every connection to the new one);
   * REDIS_URL then gives only the primary's user, password, /db and TLS (its host is not used).
   */
  @IsOptional()
  @Matches(/^\s*[^\s,:]+:\d{1,5}\s*(,\s*[^\s,:]+:\d{1,5}\s*)*$/, { message: 'REDIS_SENTINELS must be comma-separated host:port pairs' })
  REDIS_SENTINELS?: string;

  @Matches(/^[A-Za-z0-9_.-]{1,128}$/, { message: 'REDIS_SENTINEL_NAME must be the primary group name the sentinels monitor' })
  REDIS_SENTINEL_NAME = 'mymaster';

  /** The sentinels' own password (`requirepass` on the sentinels), if they have one. */
  @IsOptional() @IsString() REDIS_SENTINEL_PASSWORD?: string;

  /**
   * Redis Cluster: comma-separated host:port of some of the cluster's nodes (the rest are
   * discovered). Every key of the deployment then carries the hash tag `{QUEUE_PREFIX}`, so all of
   * them live in one slot (BullMQ's scripts and the app's need their keys together); REDIS_URL
   * gives only the user, password and TLS. Not together with REDIS_SENTINELS.
   */
  @IsOptional()
  @Matches(/^\s*[^\s,:]+:\d{1,5}\s*(,\s*[^\s,:]+:\d{1,5}\s*)*$/, { message: 'REDIS_CLUSTER_NODES must be comma-separated host:port pairs' })
  REDIS_CLUSTER_NODES?: string;

  /** Prefix of every BullMQ key, so several deployments (or test files) can share one Redis. */
  @Matches(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'QUEUE_PREFIX must be 1-64 letters, digits, ".", "_" or "-"' })
  QUEUE_PREFIX = 'geo';

  @IsString()
  @MinLength(1, { message: 'API_KEYS must list at least one key (comma-separated)' })
  API_KEYS!: string;

  @IsOptional() @IsString() OPENAI_API_KEY?: string;
  @IsOptional() @IsString() GOOGLE_API_KEY?: string;
  @IsOptional() @IsString() PERPLEXITY_API_KEY?: string;

  @IsUrl(HTTP_URL, { message: 'OPENAI_BASE_URL must be an http(s) URL' })
  OPENAI_BASE_URL = 'https://api.openai.com/v1';

  @IsUrl(HTTP_URL, { message: 'PERPLEXITY_BASE_URL must be an http(s) URL' })
  PERPLEXITY_BASE_URL = 'https://api.perplexity.ai/v1';

  @IsUrl(HTTP_URL, { message: 'GEMINI_BASE_URL must be an http(s) URL' })
  GEMINI_BASE_URL = 'https://generativelanguage.googleapis.com';

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';

  @Transform(toInt) @IsInt() @Min(1) @Max(10000) OPENAI_QPS = 5;
  @Transform(toInt) @IsInt() @Min(1) @Max(100000) OPENAI_BURST = 10;
  @Transform(toInt) @IsInt() @Min(1) @Max(1000) OPENAI_CONCURRENCY = 8;
  @Transform(toInt) @IsInt() @Min(100) @Max(600000) OPENAI_TIMEOUT_MS = 120000;

  @Transform(toInt) @IsInt() @Min(1) @Max(10000) GEMINI_QPS = 5;
  @Transform(toInt) @IsInt() @Min(1) @Max(100000) GEMINI_BURST = 10;
  @Transform(toInt) @IsInt() @Min(1) @Max(1000) GEMINI_CONCURRENCY = 8;
  @Transform(toInt) @IsInt() @Min(100) @Max(600000) GEMINI_TIMEOUT_MS = 120000;

  @Transform(toInt) @IsInt() @Min(1) @Max(10000) PERPLEXITY_QPS = 5;
  @Transform(toInt) @IsInt() @Min(1) @Max(100000) PERPLEXITY_BURST = 10;
  @Transform(toInt) @IsInt() @Min(1) @Max(1000) PERPLEXITY_CONCURRENCY = 8;
  @Transform(toInt) @IsInt() @Min(100) @Max(600000) PERPLEXITY_TIMEOUT_MS = 120000;

  /** Consecutive retryable failures after which a provider's circuit opens. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  PROVIDER_BREAKER_FAILURES = 5;

  /** How long an open circuit waits before it lets one trial call through. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  PROVIDER_BREAKER_COOLDOWN_MS = 30_000;

  /** Attempts a run item gets for retryable provider errors before it is failed (the dead-letter state). */
  @Transform(toInt) @IsInt() @Min(1) @Max(50) RUN_ITEM_ATTEMPTS = 5;

  /** First retry delay; each further attempt doubles it (full jitter), up to RUN_RETRY_MAX_MS. */
  @Transform(toInt) @IsInt() @Min(10) @Max(600_000) RUN_RETRY_BASE_MS = 1000;
  @Transform(toInt) @IsInt() @Min(10) @Max(3_600_000) RUN_RETRY_MAX_MS = 60_000;

  /** How often every worker checks for jobs whose worker died (keep it identical on every worker). */
  @Transform(toInt) @IsInt() @Min(500) @Max(600_000) WORKER_STALLED_INTERVAL_MS = 15_000;

  /** How long a worker's lock on a job lasts without renewal (renewed at half this while it works). */
  @Transform(toInt) @IsInt() @Min(1000) @Max(600_000) WORKER_LOCK_DURATION_MS = 30_000;

  /** How often the reconciler re-enqueues run items that the database holds as queued or running but Redis has no job for. */
  @Transform(toInt) @IsInt() @Min(200) @Max(3_600_000) RECONCILE_INTERVAL_MS = 30_000;

  /** Reuse an identical request's answer from another run within this window, as a cache hit (0: off). */
  @Transform(toInt) @IsInt() @Min(0) @Max(30 * 86_400) RESPONSE_CACHE_TTL_SECONDS = 0;

  /** How long a paid-for answer is kept in Redis until its database write succeeds. */
  @Transform(toInt) @IsInt() @Min(60) @Max(30 * 86_400) PAID_RESULT_TTL_SECONDS = 7 * 86_400;

  @Transform(toInt)
  @IsInt()
  @Min(1024)
  UPLOAD_MAX_BYTES = 10 * 1024 * 1024;

  /** Bound on what an uploaded workbook (a zip) may inflate to: a zip bomb is refused before it is parsed. */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  UPLOAD_MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024;

  /** Most data rows an uploaded sheet may have. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(5_000_000)
  UPLOAD_MAX_ROWS = 200_000;

  /** Largest JSON / JSON Lines body the API accepts. */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  BODY_MAX_BYTES = 50 * 1024 * 1024;

  /** Where export jobs write their files: shared by the API (which serves them) and the worker (a volume in Docker Compose). */
  @IsString()
  @MinLength(1)
  EXPORT_DIR = './var/exports';

  /** How long an export job's file is kept before it expires and is deleted. */
  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(365 * 86_400)
  EXPORT_TTL_SECONDS = 7 * 86_400;

  /** Export jobs one worker runs at once. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(32)
  EXPORT_CONCURRENCY = 2;

  /** Records per webhook request. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000)
  WEBHOOK_BATCH_SIZE = 500;

  /** Attempts per webhook batch (retried with exponential backoff on network errors, 408, 429 and 5xx). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(20)
  WEBHOOK_MAX_ATTEMPTS = 5;

  /** Timeout of one webhook request. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(300_000)
  WEBHOOK_TIMEOUT_MS = 10_000;

  /** First retry delay of a webhook batch (doubled each attempt, with jitter). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(600_000)
  WEBHOOK_RETRY_BASE_MS = 1_000;

  /** How long a POST's answer is kept for a repeat with the same Idempotency-Key. */
  @Transform(toInt)
  @IsInt()
  @Min(60)
  IDEMPOTENCY_TTL_SECONDS = 86_400;

  /** Origins allowed to call the API from a browser (comma-separated; `*` for any; empty: no CORS headers). */
  @IsOptional()
  @IsString()
  CORS_ORIGINS = '';

  /** How long a client may take to send a whole request (headers and body); a slow sender is cut off after it. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  REQUEST_TIMEOUT_MS = 120_000;

  /** Requests per minute per API key; 0 disables the limit. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  API_RATE_LIMIT_PER_MINUTE = 600;

  /** Hosts a webhook may target even when they resolve to private addresses (comma-separated). */
  @IsOptional()
  @IsString()
  WEBHOOK_ALLOWED_HOSTS = '';

  /** Port of the worker's Prometheus endpoint. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  METRICS_PORT = 9464;

  /** How long a SIGTERM'd process may spend finishing in-flight work before it exits anyway. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  SHUTDOWN_TIMEOUT_MS = 25000;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

function flatten(errors: ValidationError[]): string[] {
  return errors.flatMap((e) =>
    e.constraints
      ? Object.values(e.constraints).map((m) => (m.startsWith(e.property) ? m : `${e.property}: ${m}`))
      : flatten(e.children ?? []),
  );
}

/** Validates an environment against one of the env classes; throws ConfigError naming each bad variable. */
export function validateEnv<T extends object>(cls: new () => T, env: NodeJS.ProcessEnv): T {
  // Empty strings count as "unset" so that `FOO=` in a .env file means the default.
  const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const instance = plainToInstance(cls, defined, { exposeDefaultValues: true });
  const errors = validateSync(instance, { whitelist: false, forbidUnknownValues: false });
  if (errors.length > 0) throw new ConfigError(flatten(errors));
  return instance;
}
