import { AppEnv, ConfigError, DatabaseEnv, LogLevel, validateEnv } from './env.validation';

export type ProviderName = 'openai' | 'gemini' | 'perplexity';
export const PROVIDER_NAMES: readonly ProviderName[] = ['openai', 'gemini', 'perplexity'];

export interface DatabaseConfig {
  url: string;
  schema: string;
  applyMigrations: boolean;
  compatMode: boolean;
  useJsonb: boolean;
  pool: {
    size: number;
    maxOverflow: number;
    recycleSeconds: number;
    idleTimeoutMs: number;
    prePing: boolean;
  };
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  pgbouncer: boolean;
}

export interface RedisConfig {
  url: string;
  /** QUEUE_PREFIX; in a Redis Cluster, as a hash tag (`{geo}`). Every Redis key of the deployment starts with it and a colon. */
  queuePrefix: string;
  /** Redis Sentinel (REDIS_SENTINELS): `host:port` of each sentinel and the primary group's name; null otherwise. */
  sentinel: { hosts: readonly string[]; name: string; password?: string } | null;
  /** Redis Cluster (REDIS_CLUSTER_NODES): `host:port` of the seed nodes; null otherwise. */
  cluster: { nodes: readonly string[] } | null;
}

export interface ProviderLimits {
  apiKey?: string;
  baseUrl: string;
  qps: number;
  burst: number;
  concurrency: number;
  timeoutMs: number;
}

/**
 * The one typed configuration both entrypoints (and the tooling) read. Built once from the
 * environment; a bad variable stops the process at start with the variable's name.
 */
export class AppConfig {
  readonly env!: 'development' | 'production' | 'test';
  readonly http!: {
    host: string;
    port: number;
    backlog: number;
    bodyMaxBytes: number;
    uploadMaxBytes: number;
    uploadMaxUncompressedBytes: number;
    uploadMaxRows: number;
    rateLimitPerMinute: number;
    idempotencyTtlSeconds: number;
    corsOrigins: readonly string[];
    requestTimeoutMs: number;
  };
  readonly db!: DatabaseConfig;
  readonly redis!: RedisConfig;
  readonly apiKeys!: readonly string[];
  readonly providers!: Readonly<Record<ProviderName, ProviderLimits>>;
  readonly breaker!: { failureThreshold: number; coolDownMs: number };
  readonly runs!: {
    attempts: number;
    retryBaseMs: number;
    retryMaxMs: number;
    stalledIntervalMs: number;
    lockDurationMs: number;
    reconcileIntervalMs: number;
    responseCacheTtlSeconds: number;
    paidResultTtlSeconds: number;
  };
  readonly logLevel!: LogLevel;
  readonly exportDir!: string;
  readonly exports!: { ttlSeconds: number; concurrency: number };
  readonly webhookAllowedHosts!: readonly string[];
  readonly webhook!: { batchSize: number; maxAttempts: number; timeoutMs: number; retryBaseMs: number };
  readonly metricsPort!: number;
  readonly shutdownTimeoutMs!: number;

  constructor(values: AppConfig) {
    Object.assign(this, values);
  }
}

function databaseConfig(e: DatabaseEnv): DatabaseConfig {
  const url = e.DATABASE_URL ?? e.LOCAL_DATABASE_URL;
  if (!url) throw new ConfigError(['DATABASE_URL: is required (or LOCAL_DATABASE_URL for local development)']);
  return {
    url,
    schema: e.DB_SCHEMA,
    applyMigrations: e.DB_APPLY_MIGRATIONS,
    compatMode: e.DB_COMPAT_MODE,
    useJsonb: e.USE_JSONB,
    pool: {
      size: e.DB_POOL_SIZE,
      maxOverflow: e.DB_POOL_MAX_OVERFLOW,
      recycleSeconds: e.DB_POOL_RECYCLE_SECONDS,
      idleTimeoutMs: e.DB_POOL_IDLE_TIMEOUT_MS,
      prePing: e.DB_POOL_PRE_PING,
    },
    connectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
    pgbouncer: e.DB_PGBOUNCER,
  };
}

/** Only the database part: what the TypeORM CLI and the offline SQL generator need. */
export function loadDatabaseConfig(env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  return databaseConfig(validateEnv(DatabaseEnv, env));
}

export function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function loadAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const e = validateEnv(AppEnv, env);
  const apiKeys = splitList(e.API_KEYS);
  const problems: string[] = [];
  if (apiKeys.length === 0) problems.push('API_KEYS: must list at least one key (comma-separated)');
  if (apiKeys.some((k) => k.length < 8)) problems.push('API_KEYS: every key must be at least 8 characters long');
  if (e.REDIS_SENTINELS && e.REDIS_CLUSTER_NODES) problems.push('REDIS_SENTINELS and REDIS_CLUSTER_NODES: set one or the other (Sentinel or Cluster), not both');
  if (problems.length) throw new ConfigError(problems);

  const provider = (p: 'OPENAI' | 'GEMINI' | 'PERPLEXITY', apiKey: string | undefined): ProviderLimits => ({
    apiKey,
    baseUrl: e[`${p}_BASE_URL`].replace(/\/+$/, ''),
    qps: e[`${p}_QPS`],
    burst: e[`${p}_BURST`],
    concurrency: e[`${p}_CONCURRENCY`],
    timeoutMs: e[`${p}_TIMEOUT_MS`],
  });

  return new AppConfig({
    env: e.NODE_ENV,
    http: {
      host: e.HOST,
      port: e.PORT,
      backlog: e.LISTEN_BACKLOG,
      bodyMaxBytes: e.BODY_MAX_BYTES,
      uploadMaxBytes: e.UPLOAD_MAX_BYTES,
      uploadMaxUncompressedBytes: e.UPLOAD_MAX_UNCOMPRESSED_BYTES,
      uploadMaxRows: e.UPLOAD_MAX_ROWS,
      rateLimitPerMinute: e.API_RATE_LIMIT_PER_MINUTE,
      corsOrigins: splitList(e.CORS_ORIGINS),
      requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
      idempotencyTtlSeconds: e.IDEMPOTENCY_TTL_SECONDS,
    },
    db: databaseConfig(e),
    redis: {
      url: e.REDIS_URL,
      // In a cluster, the hash tag puts every key of the deployment in one slot.
      queuePrefix: e.REDIS_CLUSTER_NODES ? `{${e.QUEUE_PREFIX}}` : e.QUEUE_PREFIX,
      sentinel: e.REDIS_SENTINELS ? { hosts: splitList(e.REDIS_SENTINELS), name: e.REDIS_SENTINEL_NAME, password: e.REDIS_SENTINEL_PASSWORD || undefined } : null,
      cluster: e.REDIS_CLUSTER_NODES ? { nodes: splitList(e.REDIS_CLUSTER_NODES) } : null,
    },
    apiKeys,
    providers: {
      openai: provider('OPENAI', e.OPENAI_API_KEY),
      gemini: provider('GEMINI', e.GOOGLE_API_KEY),
      perplexity: provider('PERPLEXITY', e.PERPLEXITY_API_KEY),
    },
    breaker: { failureThreshold: e.PROVIDER_BREAKER_FAILURES, coolDownMs: e.PROVIDER_BREAKER_COOLDOWN_MS },
    runs: {
      attempts: e.RUN_ITEM_ATTEMPTS,
      retryBaseMs: e.RUN_RETRY_BASE_MS,
      retryMaxMs: e.RUN_RETRY_MAX_MS,
      stalledIntervalMs: e.WORKER_STALLED_INTERVAL_MS,
      lockDurationMs: e.WORKER_LOCK_DURATION_MS,
      reconcileIntervalMs: e.RECONCILE_INTERVAL_MS,
      responseCacheTtlSeconds: e.RESPONSE_CACHE_TTL_SECONDS,
      paidResultTtlSeconds: e.PAID_RESULT_TTL_SECONDS,
    },
    logLevel: e.LOG_LEVEL,
    exportDir: e.EXPORT_DIR,
    exports: { ttlSeconds: e.EXPORT_TTL_SECONDS, concurrency: e.EXPORT_CONCURRENCY },
    webhookAllowedHosts: splitList(e.WEBHOOK_ALLOWED_HOSTS),
    webhook: { batchSize: e.WEBHOOK_BATCH_SIZE, maxAttempts: e.WEBHOOK_MAX_ATTEMPTS, timeoutMs: e.WEBHOOK_TIMEOUT_MS, retryBaseMs: e.WEBHOOK_RETRY_BASE_MS },
    metricsPort: e.METRICS_PORT,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
  });
}

/** A URL with its password replaced, for logs and error messages. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '***';
  }
}
