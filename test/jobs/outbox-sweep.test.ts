import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELIVER_REPLY_TOPIC } from '../../src/adapters/db/outbox-topics.js';
import { OUTBOX_RETENTION_MS, sweepOutbox } from '../../src/jobs/background.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * Published outbox rows are kept for a day (`OUTBOX_RETENTION_MS`), then swept in batches;
 * rows not yet published are never swept, however old.
 */
describe('outbox sweep', () => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.drop();
  });

  /** Inserts `n` rows published `publishedAgo` ago (null: unpublished), created two days ago. */
  async function rows(n: number, publishedAgo: string | null): Promise<string[]> {
    const inserted = await sql<{ id: string }>`
      insert into outbox (workspace_id, topic, payload, created_at, published_at)
      select null, ${DELIVER_REPLY_TOPIC}, '{"messageId":"m"}', now() - interval '2 days',
             ${publishedAgo === null ? null : sql`now() - ${publishedAgo}::interval`}
      from generate_series(1, ${n})
      returning id
    `.execute(t.db);
    return inserted.rows.map((r) => r.id);
  }

  const remaining = async (ids: string[]) =>
    (await t.db.selectFrom('outbox').select('id').where('id', 'in', ids).execute()).length;

  it('deletes published rows older than the retention, in batches; keeps recent and unpublished ones', async () => {
    expect(OUTBOX_RETENTION_MS).toBe(24 * 60 * 60 * 1000);
    const old = await rows(7, '25 hours');
    const recent = await rows(3, '23 hours');
    const unpublished = await rows(2, null);

    // Batches of 3, at most 2 of them: 6 of the 7 old rows go now, the last one next time.
    expect(await sweepOutbox(t.db, { batchSize: 3, maxBatches: 2 })).toBe(6);
    expect(await remaining(old)).toBe(1);
    expect(await sweepOutbox(t.db, { batchSize: 3 })).toBe(1);
    expect(await remaining(old)).toBe(0);

    expect(await remaining(recent)).toBe(3);
    expect(await remaining(unpublished)).toBe(2);
    expect(await sweepOutbox(t.db)).toBe(0);
  });

  it('a shorter retention sweeps what the default keeps; unpublished rows still stay', async () => {
    const recent = await rows(2, '10 minutes');
    const unpublished = await rows(1, null);
    expect(await sweepOutbox(t.db, { olderThanMs: 60_000 })).toBeGreaterThanOrEqual(2);
    expect(await remaining(recent)).toBe(0);
    expect(await remaining(unpublished)).toBe(1);
  });
});
