import {
  Kysely,
  Migrator,
  NO_MIGRATIONS,
  PostgresDialect,
  sql,
  type MigrationResultSet,
} from 'kysely';
import { createHash } from 'node:crypto';
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
  pool.on('connect', preparedStatements);
  return { db: new Kysely<DB>({ dialect: new PostgresDialect({ pool }) }), pool };
}

/**
 * Marks a hot query to run as a named prepared statement: planned once per connection (a
 * generic plan), not on every call. For statements whose planning costs more than running them
 * (the chat list: a union of per-branch queries over arrays of hundreds of ids).
 */
export const PREPARED = '/* prepared */ ';

/**
 * Gives each connection's marked queries a statement name derived from their text, so pg
 * prepares each once per connection; PostgreSQL then reuses a generic plan once it finds it no
 * worse than planning each call.
 */
function preparedStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (config: pg.QueryConfig) => Promise<pg.QueryResult>;
  const named = new Map<string, string>();
  const plain = client.query.bind(client);
  client.query = ((text: unknown, values?: unknown) => {
    if (typeof text !== 'string' || !text.startsWith(PREPARED))
      return (plain as (...args: unknown[]) => unknown)(text, values);
    let name = named.get(text);
    if (!name)
      named.set(text, (name = `sb_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`));
    return query({ name, text, values: values as unknown[] });
  }) as typeof client.query;
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
