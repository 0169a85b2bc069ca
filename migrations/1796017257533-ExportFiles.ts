import { MigrationInterface, QueryRunner } from 'typeorm';
import { migrationContext } from '../src/core/database/migration-context';

export class ExportFiles1796017257533 implements MigrationInterface {
    name = 'ExportFiles1796017257533'

    public async up(queryRunner: QueryRunner): Promise<void> {
        const { s, json } = migrationContext(queryRunner);
        await queryRunner.query(`ALTER TABLE ${s}."exports" ADD "file_name" character varying(255)`);
        await queryRunner.query(`ALTER TABLE ${s}."exports" ADD "size_bytes" bigint`);
        await queryRunner.query(`ALTER TABLE ${s}."exports" ADD "details" ${json}`);
        await queryRunner.query(`ALTER TABLE ${s}."exports" ADD "expires_at" TIMESTAMP WITH TIME ZONE`);
        await queryRunner.query(`CREATE INDEX "IDX_exports_expires" ON ${s}."exports" ("expires_at") WHERE expires_at IS NOT NULL`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        const { s } = migrationContext(queryRunner);
        await queryRunner.query(`DROP INDEX ${s}."IDX_exports_expires"`);
        await queryRunner.query(`ALTER TABLE ${s}."exports" DROP COLUMN "expires_at"`);
        await queryRunner.query(`ALTER TABLE ${s}."exports" DROP COLUMN "details"`);
        await queryRunner.query(`ALTER TABLE ${s}."exports" DROP COLUMN "size_bytes"`);
        await queryRunner.query(`ALTER TABLE ${s}."exports" DROP COLUMN "file_name"`);
    }

}
