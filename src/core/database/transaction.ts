import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

/**
 * An open transaction, opaque to services: they pass it to repository methods, which alone see
 * the TypeORM EntityManager behind it.
 */
export interface Tx {
  readonly __brand: 'Tx';
}

/** The EntityManager of a transaction, or the DataSource's own manager outside one. */
export function managerOf(dataSource: DataSource, tx?: Tx): EntityManager {
  return tx ? (tx as unknown as EntityManager) : dataSource.manager;
}

/** Runs a unit of work in one database transaction (READ COMMITTED; no table locks). */
@Injectable()
export class TransactionRunner {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  run<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) => fn(manager as unknown as Tx));
  }
}

/**
 * Rows of a raw statement, whatever its kind. TypeORM's `query()` answers `[rows, affected]` for
 * an UPDATE or DELETE but the rows alone for a SELECT or INSERT; the structured result is the same
 * shape for all of them (an UPDATE ... RETURNING reads like a SELECT).
 */
export async function queryRows<T = Record<string, unknown>>(dataSource: DataSource, tx: Tx | undefined, sql: string, params: unknown[] = []): Promise<T[]> {
  const runner = tx ? managerOf(dataSource, tx).queryRunner : undefined;
  const own = runner ?? dataSource.createQueryRunner();
  try {
    const result = await own.query(sql, params, true);
    return (result.records ?? []) as T[];
  } finally {
    if (!runner) await own.release();
  }
}
