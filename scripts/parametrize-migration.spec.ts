import { parametrize } from './parametrize-migration';

const generated = `import { MigrationInterface, QueryRunner } from "typeorm";

export class AddThing1795400000000 implements MigrationInterface {
    name = 'AddThing1795400000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(\`CREATE TABLE "geo_gen_1"."things" ("id" uuid NOT NULL, "data" jsonb NOT NULL, "tags" jsonb, CONSTRAINT "PK_1" PRIMARY KEY ("id"))\`);
        await queryRunner.query(\`ALTER TABLE "geo_gen_1"."things" ADD "extra" jsonb\`);
        await queryRunner.query(\`ALTER TABLE "geo_gen_1"."things" ADD CONSTRAINT "FK_x" FOREIGN KEY ("id") REFERENCES "geo_gen_1"."campaigns"("id")\`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(\`DROP TABLE "geo_gen_1"."things"\`);
    }

}`;

describe('parametrize', () => {
  const out = parametrize(generated, 'geo_gen_1');

  it('replaces the scratch schema and the JSON type with the configured ones', () => {
    expect(out).not.toContain('geo_gen_1');
    expect(out).toContain('CREATE TABLE ${s}."things" ("id" uuid NOT NULL, "data" ${json} NOT NULL, "tags" ${json},');
    expect(out).toContain('REFERENCES ${s}."campaigns"("id")');
    expect(out).toContain('ADD "extra" ${json}`');
    expect(out).toContain("import { migrationContext } from '../src/core/database/migration-context';");
  });

  it('declares in each method only the names it uses', () => {
    expect(out).toContain('public async up(queryRunner: QueryRunner): Promise<void> {\n        const { s, json } = migrationContext(queryRunner);');
    expect(out).toContain('public async down(queryRunner: QueryRunner): Promise<void> {\n        const { s } = migrationContext(queryRunner);');
  });
});
