import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadDatabaseConfig } from './src/core/config/app-config';
import { buildDataSourceOptions } from './src/core/database/data-source-options';

// The DataSource the TypeORM CLI uses (migration:generate / run / revert): the same options as the app.
export default new DataSource(buildDataSourceOptions({ ...loadDatabaseConfig(process.env), compatMode: false }, 'typeorm-cli'));
