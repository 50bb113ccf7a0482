import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELIVER_REPLY_TOPIC, type OutboxTopic } from '../../src/adapters/db/outbox-topics.js';
import { createQueueBackend, type QueueBackend } from '../../src/adapters/queue/backend.js';
import { isAppError } from '../../src/core/errors.js';
import { backgroundJobs, relayOutbox } from '../../src/jobs/background.js';
import { deliverOutboundSpec } from '../../src/jobs/deliver-outbound.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * Outbox topics are a closed union (issue 18): a writer cannot insert a topic the relay does
 * not know (the compiler refuses it), and a row of an unknown topic read from the table is an
 * error — reported, left unpublished — while the rows beside it are relayed.
 */
describe('outbox topics', () => {
  let t: TestDatabase;
  let queues: QueueBackend;

  beforeAll(async () => {
    t = await createTestDatabase();
    queues = createQueueBackend({
      kind: 'postgres',
      url: t.url,
      schema: `bullmq_${randomBytes(4).toString('hex')}`,
    });
  });
  afterAll(async () => {
    await queues?.close();
    await t?.drop();
  });

  it('a writer may only use a topic of the closed list', () => {
    const insert = (topic: OutboxTopic) =>
      t.db.insertInto('outbox').values({ workspace_id: null, topic, payload: '{}' });
    expect(insert(DELIVER_REPLY_TOPIC).compile().parameters).toContain(DELIVER_REPLY_TOPIC);
    t.db
      .insertInto('outbox')
      // @ts-expect-error: 'job.member.fire' is not an outbox topic
      .values({ workspace_id: null, topic: 'job.member.fire', payload: '{}' });
  });

  it('an unknown topic or a payload its topic does not take is an error, left unpublished; the other rows are relayed', async () => {
    const messageId = `msg_${randomBytes(6).toString('hex')}`;
    const inserted = await sql<{ id: string; topic: string }>`
      insert into outbox (workspace_id, topic, payload) values
        (null, 'job.member.fire', '{"jobId":"job_x"}'),
        (null, ${DELIVER_REPLY_TOPIC}, ${JSON.stringify({ messageId })}),
        (null, 'job.team.suspend', '{"nothing":true}')
      returning id, topic
    `.execute(t.db);
    const ids = inserted.rows.map((r) => r.id);
    const errors: unknown[] = [];
    const reported = new Set<string>();
    const jobs = backgroundJobs(t.db);
    const relay = () =>
      relayOutbox(t.db, queues, jobs, { onError: (e) => errors.push(e), reported });

    expect(await relay()).toBe(1);
    expect(errors).toHaveLength(2);
    expect(errors.every((e) => isAppError(e) && e.code === 'internal')).toBe(true);
    expect(String((errors[0] as Error).message)).toContain('job.member.fire');
    const rows = await t.db
      .selectFrom('outbox')
      .select(['id', 'published_at'])
      .where('id', 'in', ids)
      .orderBy('id')
      .execute();
    expect(rows.map((r) => r.published_at !== null)).toEqual([false, true, false]);
    expect(
      await queues.queue(deliverOutboundSpec.name).getJob(`deliver-${messageId}`),
    ).toBeTruthy();

    // Reported once per relay loop: the next pass neither reports nor claims them again.
    expect(await relay()).toBe(0);
    expect(errors).toHaveLength(2);
    // Without a memory of reported rows, each pass reports them again; still never published.
    const again: unknown[] = [];
    expect(await relayOutbox(t.db, queues, jobs, { onError: (e) => again.push(e) })).toBe(0);
    expect(again).toHaveLength(2);
    expect(
      (
        await t.db
          .selectFrom('outbox')
          .select('id')
          .where('id', 'in', ids)
          .where('published_at', 'is', null)
          .execute()
      ).length,
    ).toBe(2);
  });
});
