import { MigrationInterface, QueryRunner } from 'typeorm';
import { migrationContext } from '../src/core/database/migration-context';

export class InitialSchema1795409926821 implements MigrationInterface {
    name = 'InitialSchema1795409926821'

    public async up(queryRunner: QueryRunner): Promise<void> {
        const { s, json } = migrationContext(queryRunner);
        await queryRunner.query(`CREATE TABLE ${s}."campaigns" ("id" uuid NOT NULL, "name" character varying(200) NOT NULL, "name_key" character varying(200) NOT NULL, "product_name" character varying(200), "brand_aliases" ${json} NOT NULL, "brand_domains" ${json} NOT NULL, "competitors" ${json} NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_831e3fcd4fc45b4e4c3f57a9ee4" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "UQ_campaigns_name_key" ON ${s}."campaigns" ("name_key") `);
        await queryRunner.query(`CREATE TABLE ${s}."personas" ("id" uuid NOT NULL, "name" character varying(200) NOT NULL, "name_key" character varying(200) NOT NULL, "role" character varying(200), "domain" character varying(200), "locale" character varying(35), "tone" character varying(100), "extra" ${json} NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_714aa5d028f8f3e6645e971cecd" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "UQ_personas_name_key" ON ${s}."personas" ("name_key") `);
        await queryRunner.query(`CREATE TABLE ${s}."topics" ("id" uuid NOT NULL, "campaign_id" uuid NOT NULL, "title" character varying(300) NOT NULL, "title_key" character varying(300) NOT NULL, "description" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_e4aa99a3fa60ec3a37d1fc4e853" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "UQ_topics_campaign_title_key" ON ${s}."topics" ("campaign_id", "title_key") `);
        await queryRunner.query(`CREATE TABLE ${s}."questions" ("id" uuid NOT NULL, "campaign_id" uuid NOT NULL, "topic_id" uuid, "persona_id" uuid, "text" text NOT NULL, "dedupe_key" character varying(64) NOT NULL, "metadata" ${json} NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_08a6d4b0f49ff300bf3a0ca60ac" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "UQ_questions_dedupe_key" ON ${s}."questions" ("dedupe_key") `);
        await queryRunner.query(`CREATE INDEX "IDX_questions_campaign_persona" ON ${s}."questions" ("campaign_id", "persona_id") `);
        await queryRunner.query(`CREATE INDEX "IDX_questions_campaign_topic" ON ${s}."questions" ("campaign_id", "topic_id") `);
        await queryRunner.query(`CREATE TABLE ${s}."runs" ("id" uuid NOT NULL, "campaign_id" uuid NOT NULL, "label" character varying(200), "provider_settings" ${json} NOT NULL, "samples" integer NOT NULL DEFAULT '1', "prompt_version" character varying(50) NOT NULL, "filters" ${json} NOT NULL, "status" character varying(32) NOT NULL, "total_items" integer NOT NULL DEFAULT '0', "schedule_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "started_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_46d6a1e257c38ba58f1a3c30836" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_runs_status" ON ${s}."runs" ("status") `);
        await queryRunner.query(`CREATE INDEX "IDX_runs_campaign_created" ON ${s}."runs" ("campaign_id", "created_at") `);
        await queryRunner.query(`CREATE TABLE ${s}."exports" ("id" uuid NOT NULL, "run_id" uuid NOT NULL, "format" character varying(16) NOT NULL, "mapper_name" character varying(64), "config_json" ${json} NOT NULL, "status" character varying(16) NOT NULL, "file_url" text, "row_count" integer, "error" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_bcf8528d214cbfc68c01f337511" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_exports_run" ON ${s}."exports" ("run_id", "created_at") `);
        await queryRunner.query(`CREATE TABLE ${s}."files" ("id" uuid NOT NULL, "type" character varying(16) NOT NULL, "name" character varying(255) NOT NULL, "url_or_path" text, "content_type" character varying(255), "size_bytes" bigint NOT NULL, "sha256" character varying(64) NOT NULL, "campaign_id" uuid, "parsed_summary_json" ${json} NOT NULL, "uploaded_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_6c16b9093a142e0e7613b04a3d9" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_files_sha256" ON ${s}."files" ("sha256") `);
        await queryRunner.query(`CREATE TABLE ${s}."mapping_profiles" ("id" uuid NOT NULL, "name" character varying(100) NOT NULL, "mapping" ${json} NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_654b7424e0ada8aecab18227c3c" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "UQ_mapping_profiles_name" ON ${s}."mapping_profiles" ("name") `);
        await queryRunner.query(`CREATE TABLE ${s}."run_items" ("id" uuid NOT NULL, "run_id" uuid NOT NULL, "question_id" uuid NOT NULL, "provider" character varying(32) NOT NULL, "model" character varying(128) NOT NULL, "setting_index" smallint NOT NULL DEFAULT '0', "sample_index" integer NOT NULL DEFAULT '0', "idempotency_key" character varying(128) NOT NULL, "status" character varying(16) NOT NULL, "attempt_count" integer NOT NULL DEFAULT '0', "last_error" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "started_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_e023092a74ee34ef3adf2bfb0eb" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "UQ_run_items_idempotency_key" ON ${s}."run_items" ("idempotency_key") `);
        await queryRunner.query(`CREATE INDEX "IDX_run_items_question" ON ${s}."run_items" ("question_id") `);
        await queryRunner.query(`CREATE INDEX "IDX_run_items_run_provider" ON ${s}."run_items" ("run_id", "provider") `);
        await queryRunner.query(`CREATE INDEX "IDX_run_items_run_status" ON ${s}."run_items" ("run_id", "status") `);
        await queryRunner.query(`CREATE TABLE ${s}."responses" ("id" uuid NOT NULL, "run_item_id" uuid NOT NULL, "run_id" uuid NOT NULL, "provider" character varying(32) NOT NULL, "model" character varying(128) NOT NULL, "served_model" character varying(128), "prompt_version" character varying(50) NOT NULL, "prompt_hash" character varying(64), "request_json" ${json} NOT NULL, "response_json" ${json} NOT NULL, "text" text NOT NULL, "citations_json" ${json} NOT NULL, "search_queries" ${json}, "token_usage_json" ${json} NOT NULL, "input_tokens" integer, "output_tokens" integer, "cost_usd" numeric(14,8), "latency_ms" integer, "analysis" ${json}, "brand_mentioned" boolean, "brand_rank" integer, "sentiment" character varying(16), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_be3bdac59bd243dff421ad7bf70" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "UQ_responses_run_item" ON ${s}."responses" ("run_item_id") `);
        await queryRunner.query(`CREATE INDEX "IDX_responses_run" ON ${s}."responses" ("run_id", "created_at") `);
        await queryRunner.query(`ALTER TABLE ${s}."topics" ADD CONSTRAINT "FK_topics_campaign" FOREIGN KEY ("campaign_id") REFERENCES ${s}."campaigns"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE ${s}."questions" ADD CONSTRAINT "FK_questions_campaign" FOREIGN KEY ("campaign_id") REFERENCES ${s}."campaigns"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE ${s}."questions" ADD CONSTRAINT "FK_questions_topic" FOREIGN KEY ("topic_id") REFERENCES ${s}."topics"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE ${s}."questions" ADD CONSTRAINT "FK_questions_persona" FOREIGN KEY ("persona_id") REFERENCES ${s}."personas"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE ${s}."runs" ADD CONSTRAINT "FK_runs_campaign" FOREIGN KEY ("campaign_id") REFERENCES ${s}."campaigns"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE ${s}."exports" ADD CONSTRAINT "FK_exports_run" FOREIGN KEY ("run_id") REFERENCES ${s}."runs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE ${s}."run_items" ADD CONSTRAINT "FK_run_items_run" FOREIGN KEY ("run_id") REFERENCES ${s}."runs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE ${s}."run_items" ADD CONSTRAINT "FK_run_items_question" FOREIGN KEY ("question_id") REFERENCES ${s}."questions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE ${s}."responses" ADD CONSTRAINT "FK_responses_run_item" FOREIGN KEY ("run_item_id") REFERENCES ${s}."run_items"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        const { s } = migrationContext(queryRunner);
        await queryRunner.query(`ALTER TABLE ${s}."responses" DROP CONSTRAINT "FK_responses_run_item"`);
        await queryRunner.query(`ALTER TABLE ${s}."run_items" DROP CONSTRAINT "FK_run_items_question"`);
        await queryRunner.query(`ALTER TABLE ${s}."run_items" DROP CONSTRAINT "FK_run_items_run"`);
        await queryRunner.query(`ALTER TABLE ${s}."exports" DROP CONSTRAINT "FK_exports_run"`);
        await queryRunner.query(`ALTER TABLE ${s}."runs" DROP CONSTRAINT "FK_runs_campaign"`);
        await queryRunner.query(`ALTER TABLE ${s}."questions" DROP CONSTRAINT "FK_questions_persona"`);
        await queryRunner.query(`ALTER TABLE ${s}."questions" DROP CONSTRAINT "FK_questions_topic"`);
        await queryRunner.query(`ALTER TABLE ${s}."questions" DROP CONSTRAINT "FK_questions_campaign"`);
        await queryRunner.query(`ALTER TABLE ${s}."topics" DROP CONSTRAINT "FK_topics_campaign"`);
        await queryRunner.query(`DROP INDEX ${s}."IDX_responses_run"`);
        await queryRunner.query(`DROP INDEX ${s}."UQ_responses_run_item"`);
        await queryRunner.query(`DROP TABLE ${s}."responses"`);
        await queryRunner.query(`DROP INDEX ${s}."IDX_run_items_run_status"`);
        await queryRunner.query(`DROP INDEX ${s}."IDX_run_items_run_provider"`);
        await queryRunner.query(`DROP INDEX ${s}."IDX_run_items_question"`);
        await queryRunner.query(`DROP INDEX ${s}."UQ_run_items_idempotency_key"`);
        await queryRunner.query(`DROP TABLE ${s}."run_items"`);
        await queryRunner.query(`DROP INDEX ${s}."UQ_mapping_profiles_name"`);
        await queryRunner.query(`DROP TABLE ${s}."mapping_profiles"`);
        await queryRunner.query(`DROP INDEX ${s}."IDX_files_sha256"`);
        await queryRunner.query(`DROP TABLE ${s}."files"`);
        await queryRunner.query(`DROP INDEX ${s}."IDX_exports_run"`);
        await queryRunner.query(`DROP TABLE ${s}."exports"`);
        await queryRunner.query(`DROP INDEX ${s}."IDX_runs_campaign_created"`);
        await queryRunner.query(`DROP INDEX ${s}."IDX_runs_status"`);
        await queryRunner.query(`DROP TABLE ${s}."runs"`);
        await queryRunner.query(`DROP INDEX ${s}."IDX_questions_campaign_topic"`);
        await queryRunner.query(`DROP INDEX ${s}."IDX_questions_campaign_persona"`);
        await queryRunner.query(`DROP INDEX ${s}."UQ_questions_dedupe_key"`);
        await queryRunner.query(`DROP TABLE ${s}."questions"`);
        await queryRunner.query(`DROP INDEX ${s}."UQ_topics_campaign_title_key"`);
        await queryRunner.query(`DROP TABLE ${s}."topics"`);
        await queryRunner.query(`DROP INDEX ${s}."UQ_personas_name_key"`);
        await queryRunner.query(`DROP TABLE ${s}."personas"`);
        await queryRunner.query(`DROP INDEX ${s}."UQ_campaigns_name_key"`);
        await queryRunner.query(`DROP TABLE ${s}."campaigns"`);
    }

}
