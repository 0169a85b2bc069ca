import { MigrationInterface, QueryRunner } from 'typeorm';
import { migrationContext } from '../src/core/database/migration-context';

export class AnalysisColumns1796014972431 implements MigrationInterface {
    name = 'AnalysisColumns1796014972431'

    public async up(queryRunner: QueryRunner): Promise<void> {
        const { s } = migrationContext(queryRunner);
        await queryRunner.query(`ALTER TABLE ${s}."responses" ADD "analysis_key" character varying(64)`);
        await queryRunner.query(`ALTER TABLE ${s}."responses" ADD "own_domain_cited" boolean`);
        await queryRunner.query(`ALTER TABLE ${s}."responses" ADD "citation_count" integer`);
        await queryRunner.query(`ALTER TABLE ${s}."responses" ADD "own_citation_count" integer`);
        await queryRunner.query(`ALTER TABLE ${s}."responses" ADD "competitors_mentioned" text array`);
        await queryRunner.query(`ALTER TABLE ${s}."responses" ADD "cited_domains" text array`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        const { s } = migrationContext(queryRunner);
        await queryRunner.query(`ALTER TABLE ${s}."responses" DROP COLUMN "cited_domains"`);
        await queryRunner.query(`ALTER TABLE ${s}."responses" DROP COLUMN "competitors_mentioned"`);
        await queryRunner.query(`ALTER TABLE ${s}."responses" DROP COLUMN "own_citation_count"`);
        await queryRunner.query(`ALTER TABLE ${s}."responses" DROP COLUMN "citation_count"`);
        await queryRunner.query(`ALTER TABLE ${s}."responses" DROP COLUMN "own_domain_cited"`);
        await queryRunner.query(`ALTER TABLE ${s}."responses" DROP COLUMN "analysis_key"`);
    }

}
