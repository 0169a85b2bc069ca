// Runs in every e2e test file before its imports: a quiet, test-mode environment.
process.env.NODE_ENV = 'test';
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
process.env.API_KEYS = process.env.API_KEYS ?? 'test-key-0123456789,second-key-abcdef';
process.env.DATABASE_URL = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
// Suites send hundreds of requests a minute with one key; the rate limit has its own test (rate-limit.e2e-spec.ts).
process.env.API_RATE_LIMIT_PER_MINUTE = process.env.API_RATE_LIMIT_PER_MINUTE ?? '0';
