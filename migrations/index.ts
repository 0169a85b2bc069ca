import type { MigrationInterface } from 'typeorm';
import { InitialSchema1795409926821 } from './1795409926821-InitialSchema';
import { RunsAndSchedules1796006635911 } from './1796006635911-RunsAndSchedules';
import { AnalysisColumns1796014972431 } from './1796014972431-AnalysisColumns';
import { ExportFiles1796017257533 } from './1796017257533-ExportFiles';

/** Every migration, oldest first. `npm run migration:generate` appends new ones here. */
export const MIGRATIONS: (new () => MigrationInterface)[] = [
  InitialSchema1795409926821,
  RunsAndSchedules1796006635911,
  AnalysisColumns1796014972431,
  ExportFiles1796017257533,
];
