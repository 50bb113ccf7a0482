import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createDatabase, type Database } from '../../src/adapters/db/database.js';
import { adminQuery, databaseUrl } from './global-setup.js';

export interface TestDatabase {
  db: Database;
  url: string;
  name: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/**
 * A migrated database of this test file's own, cloned from the run's template. Call in
 * `beforeAll` and `drop()` in `afterAll`.
 */
export async function createTestDatabase(
  options: { migrated?: boolean } = {},
): Promise<TestDatabase> {
  const server = inject('postgresServerUrl');
  const name = `sb_test_${randomBytes(6).toString('hex')}`;
  const template = options.migrated === false ? 'template0' : inject('templateDatabase');
  await adminQuery(server, `create database ${name} template ${template}`);
  const url = databaseUrl(server, name);
  const { db } = createDatabase({ url, maxConnections: 4 });
  return {
    db,
    url,
    name,
    async drop() {
      await db.destroy();
      await adminQuery(server, `drop database if exists ${name} with (force)`);
    },
  };
}

export const redisUrl = (): string | undefined => inject('redisUrl');
