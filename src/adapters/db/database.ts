import {
  Kysely,
  Migrator,
  NO_MIGRATIONS,
  PostgresDialect,
  sql,
  type Compilable,
  type MigrationResultSet,
  type Transaction,
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
  /**
   * Prepared statements kept per connection (least recently used ones are deallocated). List
   * statements differ in their page size and key counts, so without a bound a long-lived
   * connection would keep a plan for every shape it ever ran.
   */
  maxPreparedStatements?: number;
}

const DEFAULT_MAX_PREPARED = 200;

export function createDatabase(options: DatabaseOptions): { db: Database; pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    application_name: options.applicationName ?? 'switchboard',
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  // An idle client that loses its server emits here; without a listener Node would crash.
  pool.on('error', () => undefined);
  const maxPrepared = options.maxPreparedStatements ?? DEFAULT_MAX_PREPARED;
  if (!Number.isSafeInteger(maxPrepared) || maxPrepared < 1)
    throw new Error(`maxPreparedStatements must be a positive integer, not ${maxPrepared}`);
  pool.on('connect', (client) => {
    // A client the pool has handed out has no error listener of pg-pool's: a connection lost
    // then (a database restart mid-transaction) would be an uncaught 'error' event and end the
    // process. Its queries are failed by pg itself, and the pool drops the client on release.
    client.on('error', () => undefined);
    preparedStatements(client, maxPrepared);
  });
  return { db: new Kysely<DB>({ dialect: new PostgresDialect({ pool }) }), pool };
}

/**
 * Marks a hot query to run as a named prepared statement: planned once per connection (a
 * generic plan), not on every call. For statements whose planning costs more than running them
 * (the chat list: a union of per-branch queries over arrays of hundreds of ids).
 */
export const PREPARED = '/* prepared */ ';

/**
 * Runs a Kysely query builder's query as a named prepared statement (see `PREPARED`): for the
 * small queries every request makes (token, access version, chat facts), which PostgreSQL would
 * otherwise parse and plan on every call.
 */
export async function executePrepared<R>(
  db: Kysely<DB> | Transaction<DB>,
  query: Compilable<R>,
): Promise<R[]> {
  const compiled = query.compile();
  const { rows } = await db.executeQuery<R>({ ...compiled, sql: PREPARED + compiled.sql });
  return rows;
}

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
 * - At most `max` statements stay prepared: naming one more deallocates the least recently used
 *   (see `forgetStatement`).
 *
 * Anything else (a callback, a query object such as a cursor) goes to pg unchanged.
 */
function preparedStatements(client: pg.PoolClient, max: number): void {
  // Text → name, least recently used first (a Map iterates in insertion order).
  const named = new Map<string, string>();
  const original = client.query.bind(client) as (...args: unknown[]) => unknown;
  const nameOf = (text: string) => {
    let name = named.get(text);
    if (name) {
      named.delete(text);
      named.set(text, name);
      return name;
    }
    named.set(text, (name = `sb_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`));
    while (named.size > max) {
      const [oldestText, oldestName] = named.entries().next().value as [string, string];
      named.delete(oldestText);
      forgetStatement(client, original, oldestName, () => named.set(oldestText, oldestName));
    }
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

/** What pg keeps of the statements it has prepared on a connection (not part of its typings). */
interface ParsedStatements {
  connection?: {
    parsedStatements?: Record<string, string>;
    submittedNamedStatements?: Record<string, string>;
  };
}

/**
 * Deallocates a prepared statement and makes pg forget it, so that the next use of the text
 * prepares it again. Queued before the query that named one too many, on the same connection,
 * so nothing runs in between. When the server refuses (a transaction already failed), pg's
 * record stays as it is and `keep` puts the name back: the statement still exists.
 */
function forgetStatement(
  client: pg.PoolClient,
  query: (...args: unknown[]) => unknown,
  name: string,
  keep: () => void,
): void {
  const parsed = (client as unknown as ParsedStatements).connection?.parsedStatements;
  if (!parsed || parsed[name] === undefined) return;
  query(`DEALLOCATE ${name}`, (error: Error | null) => {
    if (error) return keep();
    delete parsed[name];
    const submitted = (client as unknown as ParsedStatements).connection?.submittedNamedStatements;
    if (submitted) delete submitted[name];
  });
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
