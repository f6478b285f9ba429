import { DataSource, DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations';
import { environmentValue } from '../config/configuration';
import { ENTITIES } from './entities';
import { preparingClient } from './prepared-client';

/** One set of options for the app, the migration runner and the tests. */
export function dataSourceOptions(url: string, extra: Partial<DataSourceOptions> = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations,
    synchronize: false,
    migrationsRun: false,
    migrationsTransactionMode: 'each',
    // Fail fast instead of hanging when Postgres is unreachable; keep the pool small per replica.
    // Statements with parameters are prepared once per connection (src/database/prepared-client.ts).
    extra: {
      max: environmentValue('DB_POOL_MAX'),
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30000,
      Client: preparingClient(environmentValue('DB_PREPARED_STATEMENTS')),
    },
    ...extra,
  } as DataSourceOptions;
}

/** For the TypeORM CLI: `typeorm -d dist/src/database/data-source.js migration:show`. */
export default new DataSource(
  dataSourceOptions(environmentValue('DATABASE_URL') ?? 'postgres://postgres@127.0.0.1:5432/portal'),
);
