import { MigrationInterface, QueryRunner } from 'typeorm';
import { migrationContext } from '../src/core/database/migration-context';

export class RunsAndSchedules1796006635911 implements MigrationInterface {
    name = 'RunsAndSchedules1796006635911'

    public async up(queryRunner: QueryRunner): Promise<void> {
        const { s, json } = migrationContext(queryRunner);
        await queryRunner.query(`DROP INDEX ${s}."IDX_responses_run"`);
        await queryRunner.query(`CREATE TABLE ${s}."schedules" ("id" uuid NOT NULL, "campaign_id" uuid NOT NULL, "cron" character varying(120) NOT NULL, "timezone" character varying(64) NOT NULL DEFAULT 'UTC', "run_template" ${json} NOT NULL, "last_run_at" TIMESTAMP WITH TIME ZONE, "last_run_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_7e33fc2ea755a5765e3564e66dd" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_schedules_campaign" ON ${s}."schedules" ("campaign_id", "created_at") `);
        await queryRunner.query(`ALTER TABLE ${s}."responses" ADD "text_search" tsvector`);
        // Written by hand (TypeORM cannot declare a GIN index): full-text search over the stored answer vectors.
        await queryRunner.query(`CREATE INDEX "IDX_responses_text_search" ON ${s}."responses" USING gin ("text_search")`);
        await queryRunner.query(`ALTER TABLE ${s}."responses" ADD "details" ${json}`);
        await queryRunner.query(`ALTER TABLE ${s}."responses" ADD "cache_hit" boolean NOT NULL DEFAULT false`);
        await queryRunner.query(`CREATE INDEX "IDX_run_items_errors" ON ${s}."run_items" ("run_id", "updated_at") WHERE last_error IS NOT NULL`);
        await queryRunner.query(`CREATE INDEX "IDX_run_items_run_order" ON ${s}."run_items" ("run_id", "id") `);
        await queryRunner.query(`CREATE INDEX "IDX_responses_run" ON ${s}."responses" ("run_id", "created_at", "cost_usd", "cache_hit") `);
        await queryRunner.query(`ALTER TABLE ${s}."schedules" ADD CONSTRAINT "FK_schedules_campaign" FOREIGN KEY ("campaign_id") REFERENCES ${s}."campaigns"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        const { s } = migrationContext(queryRunner);
        await queryRunner.query(`ALTER TABLE ${s}."schedules" DROP CONSTRAINT "FK_schedules_campaign"`);
        await queryRunner.query(`DROP INDEX ${s}."IDX_responses_run"`);
        await queryRunner.query(`DROP INDEX ${s}."IDX_run_items_run_order"`);
        await queryRunner.query(`DROP INDEX ${s}."IDX_run_items_errors"`);
        await queryRunner.query(`ALTER TABLE ${s}."responses" DROP COLUMN "cache_hit"`);
        await queryRunner.query(`ALTER TABLE ${s}."responses" DROP COLUMN "details"`);
        await queryRunner.query(`DROP INDEX ${s}."IDX_responses_text_search"`);
        await queryRunner.query(`ALTER TABLE ${s}."responses" DROP COLUMN "text_search"`);
        await queryRunner.query(`DROP INDEX ${s}."IDX_schedules_campaign"`);
        await queryRunner.query(`DROP TABLE ${s}."schedules"`);
        await queryRunner.query(`CREATE INDEX "IDX_responses_run" ON ${s}."responses" ("run_id", "created_at") `);
    }

}
