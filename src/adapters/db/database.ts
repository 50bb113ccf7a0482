import {
  Kysely,
  Migrator,
  NO_MIGRATIONS,
  PostgresDialect,
  sql,
  type MigrationResultSet,
} from 'kysely';
import pg from 'pg';
import type { DB } from './schema.js';
import { migrationProvider } from './migrations/index.js';

export type Database = Kysely<DB>;

export interface DatabaseOptions {
  url: string;
  /** Pool size; the default suits one API process on a small machine. */
  maxConnections?: number;
  /** Sets `search_path`, so a test can own a schema of a shared database. */
  schema?: string;
  applicationName?: string;
}

export function createDatabase(options: DatabaseOptions): { db: Database; pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    application_name: options.applicationName ?? 'switchboard',
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  // An idle client that loses its server emits here; without a listener Node would crash.
  pool.on('error', () => undefined);
  return { db: new Kysely<DB>({ dialect: new PostgresDialect({ pool }) }), pool };
}

/** Brings the schema to the newest migration. Safe to run from several processes at once. */
export async function migrateToLatest(db: Database): Promise<MigrationResultSet> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const result = await migrator.migrateToLatest();
  if (result.error) throw asError(result.error);
  return result;
}

/** Undoes every migration (tests of the down path). */
export async function migrateDownAll(db: Database): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const result = await migrator.migrateTo(NO_MIGRATIONS);
  if (result.error) throw asError(result.error);
}

const asError = (error: unknown): Error =>
  error instanceof Error ? error : new Error(`migration failed: ${String(error)}`);

/** Readiness probe: one round trip. */
export async function pingDatabase(db: Database): Promise<void> {
  await sql`select 1`.execute(db);
}
