import type { MigrationInterface } from 'typeorm';
import { InitialSchema1795409926821 } from './1795409926821-InitialSchema';
import { RunsAndSchedules1796003641941 } from './1796003641941-RunsAndSchedules';

/** Every migration, oldest first. `npm run migration:generate` appends new ones here. */
export const MIGRATIONS: (new () => MigrationInterface)[] = [
  InitialSchema1795409926821,
  RunsAndSchedules1796003641941,
];
