import { makeIdempotent } from './offline-sql';

describe('makeIdempotent', () => {
  const s = 'geo_app';
  it.each([
    ['CREATE TABLE "geo_app"."t" ("id" uuid NOT NULL)', 'CREATE TABLE IF NOT EXISTS "geo_app"."t" ("id" uuid NOT NULL)'],
    ['CREATE INDEX "IDX_a" ON "geo_app"."t" ("a")', 'CREATE INDEX IF NOT EXISTS "IDX_a" ON "geo_app"."t" ("a")'],
    ['CREATE UNIQUE INDEX "UQ_a" ON "geo_app"."t" ("a")', 'CREATE UNIQUE INDEX IF NOT EXISTS "UQ_a" ON "geo_app"."t" ("a")'],
    ['ALTER TABLE "geo_app"."t" ADD "c" integer', 'ALTER TABLE "geo_app"."t" ADD COLUMN IF NOT EXISTS "c" integer'],
    ['ALTER TABLE "geo_app"."t" DROP COLUMN "c"', 'ALTER TABLE "geo_app"."t" DROP COLUMN IF EXISTS "c"'],
    ['ALTER TABLE "geo_app"."t" DROP CONSTRAINT "FK_x"', 'ALTER TABLE "geo_app"."t" DROP CONSTRAINT IF EXISTS "FK_x"'],
    ['DROP INDEX "geo_app"."IDX_a"', 'DROP INDEX IF EXISTS "geo_app"."IDX_a"'],
    ['DROP TABLE "geo_app"."t"', 'DROP TABLE IF EXISTS "geo_app"."t"'],
    ['ALTER TABLE "geo_app"."t" ALTER COLUMN "c" SET DEFAULT 0', 'ALTER TABLE "geo_app"."t" ALTER COLUMN "c" SET DEFAULT 0'],
    ['CREATE TABLE IF NOT EXISTS "geo_app"."t" ()', 'CREATE TABLE IF NOT EXISTS "geo_app"."t" ()'],
  ])('%s', (input, output) => {
    expect(makeIdempotent(input, s)).toBe(output);
  });

  it('guards ADD CONSTRAINT and RENAME COLUMN with catalogue look-ups', () => {
    const fk = makeIdempotent('ALTER TABLE "geo_app"."t" ADD CONSTRAINT "FK_t_u" FOREIGN KEY ("u") REFERENCES "geo_app"."u"("id")', s);
    expect(fk).toMatch(/^DO \$idem\$ BEGIN/);
    expect(fk).toContain("c.conname = 'FK_t_u' AND n.nspname = 'geo_app'");
    const rename = makeIdempotent('ALTER TABLE "geo_app"."t" RENAME COLUMN "a" TO "b"', s);
    expect(rename).toContain("table_name = 't' AND column_name = 'a'");
  });

  it('refuses what it cannot make safe to run twice, unless marked', () => {
    expect(() => makeIdempotent('UPDATE "geo_app"."t" SET a = a + 1', s)).toThrow(/cannot make this statement idempotent/);
    expect(() => makeIdempotent('CREATE INDEX CONCURRENTLY "x" ON "geo_app"."t" ("a")', s)).toThrow();
    expect(makeIdempotent('/* idempotent */ UPDATE "geo_app"."t" SET a = 0 WHERE a IS NULL', s)).toMatch(/^\/\* idempotent \*\//);
  });
});
