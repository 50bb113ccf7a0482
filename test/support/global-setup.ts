import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createDatabase, migrateToLatest } from '../../src/adapters/db/database.js';
import { startEmbeddedPostgres } from '../../src/adapters/db/embedded-postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Server-level URL (no database path) tests create their databases on. */
    postgresServerUrl: string;
    /** A migrated database that test databases are cloned from (`CREATE DATABASE … TEMPLATE`). */
    templateDatabase: string;
    /** Set when Redis-backed tests should run (CI sets REDIS_URL). */
    redisUrl: string | undefined;
  }
}

/**
 * Integration tests run against a real PostgreSQL: the one `DATABASE_URL` names (CI), or an
 * embedded one started here for the run. The schema is migrated once into a template
 * database; every test file clones it into a database of its own.
 */
export default async function setup(project: TestProject) {
  let stopEmbedded: (() => Promise<void>) | undefined;
  let tmpDir: string | undefined;
  let serverUrl: string;
  if (process.env.DATABASE_URL) {
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = '/';
    serverUrl = url.toString();
  } else {
    tmpDir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-test-'));
    const embedded = await startEmbeddedPostgres({
      dataDir: tmpDir,
      log: { info: () => undefined, warn: () => undefined, debug: () => undefined },
    });
    stopEmbedded = () => embedded.stop();
    const url = new URL(embedded.url);
    url.pathname = '/';
    serverUrl = url.toString();
  }

  const template = `sb_template_${randomBytes(4).toString('hex')}`;
  await adminQuery(serverUrl, `create database ${template}`);
  const { db } = createDatabase({ url: databaseUrl(serverUrl, template), maxConnections: 1 });
  await migrateToLatest(db);
  await db.destroy();

  project.provide('postgresServerUrl', serverUrl);
  project.provide('templateDatabase', template);
  project.provide('redisUrl', process.env.REDIS_URL || undefined);

  return async () => {
    await adminQuery(serverUrl, `drop database if exists ${template} with (force)`);
    await stopEmbedded?.();
    if (tmpDir) await rm(tmpDir, { recursive: true, force: true });
  };
}

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function adminQuery(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl(serverUrl, 'postgres') });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
