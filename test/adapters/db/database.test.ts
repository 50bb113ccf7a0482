import { sql } from 'kysely';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, PREPARED } from '../../../src/adapters/db/database.js';
import { cuttableProxy } from '../../support/cuttable-proxy.js';
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

  it('keeps at most maxPreparedStatements per connection, least recently used out first', async () => {
    const small = createDatabase({ url: test.url, maxConnections: 1, maxPreparedStatements: 3 });
    try {
      const marked = (k: number) =>
        sql<{ n: number }>`${sql.raw(PREPARED)}select ${k}::int + ${sql.lit(k * 1000)} as n`;
      const run = async (k: number) => (await marked(k).execute(small.db)).rows[0]?.n;
      const preparedTexts = async () =>
        (
          await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(
            small.db,
          )
        ).rows
          .map((r) => /\+ (\d+) as n/.exec(r.statement)?.[1])
          .sort();
      for (const k of [1, 2, 3]) expect(await run(k)).toBe(k + k * 1000);
      expect(await run(1)).toBe(1001); // 1 is now the most recently used
      expect(await run(4)).toBe(4004); // evicts 2
      expect(await preparedTexts()).toEqual(['1000', '3000', '4000']);
      // An evicted statement is prepared again when it comes back.
      expect(await run(2)).toBe(2002);
      expect(await preparedTexts()).toEqual(['1000', '2000', '4000']);

      // Deallocation inside a transaction that is rolled back stays done.
      await expect(
        small.db.transaction().execute(async (trx) => {
          expect((await marked(5).execute(trx)).rows[0]?.n).toBe(5005);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect(await preparedTexts()).toEqual(['2000', '4000', '5000']);
      expect(await run(1)).toBe(1001);

      // In a failed transaction the server refuses the deallocation: the statement stays, and
      // pg still knows it is prepared, so using it later does not try to prepare it twice.
      await expect(
        small.db.transaction().execute(async (trx) => {
          await expect(sql`select 1 / ${0}::int`.execute(trx)).rejects.toMatchObject({
            code: '22012',
          });
          await expect(marked(6).execute(trx)).rejects.toMatchObject({ code: '25P02' });
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      for (const k of [2, 4, 5, 6, 1]) expect(await run(k)).toBe(k + k * 1000);
      expect((await preparedTexts()).length).toBeLessThanOrEqual(3);
    } finally {
      await small.db.destroy();
    }
  });

  it('survives losing the connection of a client it has handed out, and goes on with a new one', async () => {
    const proxy = await cuttableProxy(test.url);
    const cut = createDatabase({ url: proxy.url, maxConnections: 1 });
    try {
      await expect(
        cut.db.connection().execute(async (connection) => {
          expect((await sql<{ n: number }>`select 1 as n`.execute(connection)).rows).toEqual([
            { n: 1 },
          ]);
          // The connection dies while this caller holds it between two queries: pg emits an
          // 'error' on the client, which must not become an uncaught exception.
          proxy.cut();
          await new Promise((resolve) => setTimeout(resolve, 200));
          await sql`select 2`.execute(connection);
        }),
      ).rejects.toThrow(/terminated|not queryable|ECONNRESET/i);
      proxy.restore();
      expect((await sql<{ n: number }>`select 3 as n`.execute(cut.db)).rows).toEqual([{ n: 3 }]);
    } finally {
      await cut.db.destroy();
      proxy.close();
    }
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
