import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELIVER_REPLY_TOPIC } from '../../src/adapters/db/outbound.js';
import { createQueueBackend, type QueueBackend } from '../../src/adapters/queue/backend.js';
import { backgroundJobs, relayOutbox } from '../../src/jobs/background.js';
import { deliverOutboundSpec } from '../../src/jobs/deliver-outbound.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * A reply's delivery goes through the outbox (issue 18): while the queue refuses, the relay's
 * claim rolls back and the entry waits; once the queue is back, the next pass queues the
 * delivery job, one per reply however often it is relayed.
 */
describe('the outbox relay and replies', () => {
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

  /** The same backend, but every enqueue fails: the queue is down. */
  const down = (): QueueBackend => ({
    ...queues,
    queue: <Data, Result>() =>
      ({
        add: () => Promise.reject(new Error('the queue is down')),
      }) as unknown as Queue<Data, Result>,
  });
  /** Deliveries recorded and not yet queued. */
  const unpublished = async () =>
    (
      await t.db
        .selectFrom('outbox')
        .select('id')
        .where('topic', '=', DELIVER_REPLY_TOPIC)
        .where('published_at', 'is', null)
        .execute()
    ).length;

  it('a delivery recorded while the queue is down is queued once the queue is back', async () => {
    const messageId = `msg_${randomBytes(6).toString('hex')}`;
    const record = () =>
      t.db
        .insertInto('outbox')
        .values({
          workspace_id: null,
          topic: DELIVER_REPLY_TOPIC,
          payload: JSON.stringify({ messageId }),
        })
        .execute();
    await record();
    const jobs = backgroundJobs(t.db);
    await expect(relayOutbox(t.db, down(), jobs)).rejects.toThrow(/down/);
    expect(await unpublished()).toBe(1);

    expect(await relayOutbox(t.db, queues, jobs)).toBe(1);
    expect(await unpublished()).toBe(0);
    const queue = queues.queue(deliverOutboundSpec.name);
    const job = await queue.getJob(`deliver-${messageId}`);
    expect(job?.data).toEqual({ messageId });

    // Relayed again (a crash between enqueue and commit): still one job.
    await record();
    expect(await relayOutbox(t.db, queues, jobs)).toBe(1);
    const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'completed');
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(1);
  });
});
