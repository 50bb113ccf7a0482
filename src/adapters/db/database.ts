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
 * Wraps each pooled connection's `query` for the queries Kysely sends (text and values, no
 * callback):
 *
 * - Marked queries get a statement name derived from their text, so pg prepares each once per
 *   connection; PostgreSQL then reuses a generic plan once it finds it no worse than planning
 *   each call.
 * - Every such query goes through pg's callback form, wrapped in a plain promise here. pg's own
 *   promise form leaves each result reachable for longer: measured on this project's machine, a
 *   loop of 51-row queries kept ~3.5 MB alive at every young-generation collection, which then
 *   took ~6 ms each (one in every ~100 calls: the list's p99). Through the callback form the
 *   same loop keeps ~15 KB and collections take ~0.3 ms.
 *
 * Anything else (a callback, a query object such as a cursor) goes to pg unchanged.
 */
function preparedStatements(client: pg.PoolClient): void {
  const named = new Map<string, string>();
  const original = client.query.bind(client) as (...args: unknown[]) => unknown;
  const nameOf = (text: string) => {
    let name = named.get(text);
    if (!name)
      named.set(text, (name = `sb_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`));
    return name;
  };
  client.query = ((...args: unknown[]) => {
    const [text, values] = args;
    if (typeof text !== 'string' || args.length > 2 || typeof values === 'function')
      return original(...args);
    const config: pg.QueryConfig = text.startsWith(PREPARED)
      ? { name: nameOf(text), text, values: values as unknown[] }
      : { text, values: values as unknown[] };
    return new Promise((resolve, reject) => {
      original(config, (error: Error | null, result: pg.QueryResult) =>
        error ? reject(error) : resolve(result),
      );
    });
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
