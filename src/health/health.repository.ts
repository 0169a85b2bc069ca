import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../core/config/app-config';
import { COMPAT_TABLES } from '../core/database/compat-schema';

/** The database questions the probes ask. */
@Injectable()
export class HealthRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  /** Names of migrations the code has and the database has not applied (full schema). */
  async pendingMigrations(): Promise<string[]> {
    const all = this.dataSource.migrations.map((m) => m.name ?? m.constructor.name);
    const [{ present }]: { present: boolean }[] = await this.dataSource.query(
      `SELECT to_regclass(format('%I.%I', $1::text, 'migrations')) IS NOT NULL AS present`,
      [this.config.db.schema],
    );
    if (!present) return all;
    const rows: { name: string }[] = await this.dataSource.query(`SELECT "name" FROM "${this.config.db.schema}"."migrations"`);
    const applied = new Set(rows.map((r) => r.name));
    return all.filter((n) => !applied.has(n));
  }

  /** Compat tables that do not exist (compat mode). */
  async missingCompatTables(): Promise<string[]> {
    const rows: { name: string; present: boolean }[] = await this.dataSource.query(
      `SELECT t AS name, to_regclass(format('%I.%I', $1::text, t)) IS NOT NULL AS present FROM unnest($2::text[]) AS t`,
      [this.config.db.schema, [...COMPAT_TABLES]],
    );
    return rows.filter((r) => !r.present).map((r) => r.name);
  }
}
