import { sql } from 'kysely';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, PREPARED } from '../../../src/adapters/db/database.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

/** The wrapper `createDatabase` puts on each pooled connection's `query`. */
describe('pooled connections', () => {
  let test: TestDatabase;
  let pool: pg.Pool;
  let db: ReturnType<typeof createDatabase>['db'];

  beforeAll(async () => {
    test = await createTestDatabase();
    ({ db, pool } = createDatabase({ url: test.url, maxConnections: 1 }));
  });
  afterAll(async () => {
    await db.destroy();
    await test.drop();
  });

  it('runs a marked query as a named prepared statement, and a plain one unnamed', async () => {
    const marked = sql<{ n: number }>`${sql.raw(PREPARED)}select ${41}::int + 1 as n`;
    expect((await marked.execute(db)).rows).toEqual([{ n: 42 }]);
    expect((await marked.execute(db)).rows).toEqual([{ n: 42 }]);
    const plain = sql<{ n: number }>`select ${1}::int as n`;
    expect((await plain.execute(db)).rows).toEqual([{ n: 1 }]);
    // One connection in the pool: the statements it has prepared are the marked one's only.
    const prepared = await sql<{
      name: string;
      statement: string;
    }>`select name, statement from pg_prepared_statements`.execute(db);
    expect(prepared.rows).toHaveLength(1);
    expect(prepared.rows[0]?.name).toMatch(/^sb_[0-9a-f]{20}$/);
    expect(prepared.rows[0]?.statement).toContain('select $1::int + 1 as n');
  });

  it('rejects with the server’s error, and the connection goes on working', async () => {
    await expect(sql`select 1 / ${0}::int`.execute(db)).rejects.toMatchObject({ code: '22012' });
    await expect(
      sql`${sql.raw(PREPARED)}select no_such_column from users`.execute(db),
    ).rejects.toMatchObject({ code: '42703' });
    expect((await sql<{ n: number }>`select 2 as n`.execute(db)).rows).toEqual([{ n: 2 }]);
  });

  it('passes callbacks and query objects through to pg', async () => {
    const client = await pool.connect();
    try {
      const viaCallback = await new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the callback was never called')), 5_000);
        client.query('select $1::text as v', ['x'], (error, result) => {
          clearTimeout(timer);
          if (error) reject(error);
          else resolve(result.rows);
        });
      });
      expect(viaCallback).toEqual([{ v: 'x' }]);
      const viaConfig = await client.query({ text: 'select $1::int as n', values: [7] });
      expect(viaConfig.rows).toEqual([{ n: 7 }]);
      const arrays = await client.query({ text: 'select 1 as a, 2 as b', rowMode: 'array' });
      expect(arrays.rows).toEqual([[1, 2]]);
    } finally {
      client.release();
    }
  });
});
