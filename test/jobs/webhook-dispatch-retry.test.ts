import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/adapters/db/database.js';
import { createEventBus } from '../../src/adapters/db/event-bus.js';
import { createQueueBackend } from '../../src/adapters/queue/backend.js';
import { startWebhooks } from '../../src/jobs/webhooks.js';
import { createOutboundGuard } from '../../src/adapters/http/outbound-guard.js';
import {
  client,
  localReceivers,
  outboundPolicy,
  signedHeaders,
  startApi,
  startReceiver,
} from '../support/api.js';
import { cuttableProxy } from '../support/cuttable-proxy.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * An event that arrives while the dispatcher's database connection is away is not dropped:
 * reading the subscriptions is tried again, and the delivery goes out once it is back. A
 * delivery stored but never queued (its process died in between) is queued by the next
 * process that hears the event.
 */
describe('webhook dispatch while the database is briefly away', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.drop());

  it('delivers an event that arrived during the outage', async () => {
    // A workspace with a chat, a message and a subscription, made through the API.
    const receiver = await startReceiver();
    const api = await startApi(t);
    const call = client(api.base);
    const org = await call('POST', '/v1/organizations', {
      token: api.platformToken,
      body: { name: 'A', workspace: { name: 'W' }, owner: { email: 'o@r.test', name: 'O' } },
    });
    const ws = org.body.workspace.id as string;
    const owner = org.body.token as string;
    const ch = await call('POST', `/v1/workspaces/${ws}/channels`, {
      token: owner,
      body: { type: 'webhook', name: 'c', owner: { type: 'workspace' } },
    });
    const raw = JSON.stringify({
      messageId: 'm1',
      chatId: 'c1',
      contact: { name: 'Cus', phone: '+4915155500000' },
      text: 'hello',
      sentAt: new Date().toISOString(),
    });
    await call('POST', `/v1/inbound/webhook/${ch.body.channel.id}`, {
      raw,
      headers: signedHeaders(ch.body.channel.inbound.secret, raw),
    });
    const hook = await call('POST', `/v1/workspaces/${ws}/webhooks`, {
      token: owner,
      body: { url: receiver.url, events: ['message.created'] },
    });
    expect(hook.status).toBe(201);
    const message = await t.db
      .selectFrom('messages')
      .select(['id', 'chat_id'])
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    // Only the dispatcher under test from here on.
    await api.close();

    const proxy = await cuttableProxy(t.url);
    const { db } = createDatabase({ url: proxy.url, maxConnections: 2 });
    const bus = await createEventBus(t.db, t.url);
    const queues = createQueueBackend({
      kind: 'postgres',
      url: t.url,
      schema: `bullmq_${randomBytes(4).toString('hex')}`,
    });
    const errors: unknown[] = [];
    const outbound = createOutboundGuard(outboundPolicy(localReceivers));
    const webhooks = startWebhooks(db, bus, queues, {
      outbound,
      backoffMs: 100,
      onError: (error) => errors.push(error),
    });
    try {
      proxy.cut();
      await bus.publish({
        type: 'message.created',
        workspaceId: ws,
        chatId: message.chat_id,
        messageId: message.id,
      });
      await expect.poll(() => errors.length, { timeout: 5_000 }).toBeGreaterThan(0);
      proxy.restore();
      await expect.poll(() => receiver.received.length, { timeout: 20_000 }).toBe(1);
      const body = JSON.parse(receiver.received[0]?.body ?? '{}') as { type?: string };
      expect(body.type).toBe('message.created');

      // A process that stored a delivery and died before queueing it: the next process that
      // hears the event queues the waiting delivery instead of skipping it as a duplicate.
      const event = {
        id: 'evt_orphan',
        type: 'message.created',
        workspaceId: ws,
        chatId: message.chat_id,
        messageId: message.id,
      };
      await t.db
        .insertInto('webhook_deliveries')
        .values({
          id: 'dlv_orphan',
          workspace_id: ws,
          webhook_id: hook.body.webhook.id,
          event_id: event.id,
          event_type: event.type,
          chat_id: message.chat_id,
          payload: JSON.stringify({ id: event.id, type: event.type, orphan: true }),
          next_attempt_at: new Date(),
        })
        .execute();
      await sql`select pg_notify('switchboard_events', ${JSON.stringify(event)})`.execute(t.db);
      await expect.poll(() => receiver.received.length, { timeout: 20_000 }).toBe(2);
      expect(JSON.parse(receiver.received[1]?.body ?? '{}')).toMatchObject({ orphan: true });
    } finally {
      await webhooks.stop();
      await outbound.close();
      await queues.close();
      await bus.close();
      await db.destroy();
      proxy.close();
      await receiver.close();
    }
  });
});
