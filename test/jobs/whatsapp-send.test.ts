import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboundStore } from '../../src/adapters/db/outbound.js';
import { createQueueBackend, type QueueBackend } from '../../src/adapters/queue/backend.js';
import { isAccountStopped } from '../../src/adapters/whatsapp/account-store.js';
import type { RunningAccount } from '../../src/adapters/whatsapp/account-runtime.js';
import { deliverOutbound } from '../../src/core/chats/deliver-outbound.js';
import { AppError } from '../../src/core/errors.js';
import { whatsappReplies, whatsappSendQueue } from '../../src/jobs/whatsapp-send.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * WhatsApp replies through the account's own queue (jobs/whatsapp-send.ts): handed over by
 * the deliver job, sent by the worker running beside the account, failed rather than left
 * waiting when the account stops for good.
 */
describe('WhatsApp replies on the account’s queue', () => {
  let t: TestDatabase;
  let queues: QueueBackend;
  const ws = 'ws_wsend';
  let n = 0;

  const account = async (status: string) => {
    const id = `ch_wsend_${++n}`;
    await sql`insert into channel_accounts (id, workspace_id, type, name, owner_type, status)
      values (${id}, ${ws}, 'whatsapp', 'WA', 'workspace', ${status})`.execute(t.db);
    await sql`insert into chats (id, workspace_id, channel_id, external_id, contact_id, last_message_at)
      values (${`chat_${id}`}, ${ws}, ${id}, '491701234567@c.us', 'ct_wsend', now())`.execute(t.db);
    return id;
  };
  const pendingReply = async (channelId: string, text = 'hello') => {
    const id = `msg_${randomBytes(6).toString('hex')}`;
    await sql`insert into messages (id, workspace_id, chat_id, channel_id, provider_message_id, direction, text, status, sent_at)
      values (${id}, ${ws}, ${`chat_${channelId}`}, ${channelId}, ${`switchboard:${id}`}, 'out', ${text}, 'pending', now())`.execute(
      t.db,
    );
    return id;
  };
  const stored = (id: string) =>
    t.db
      .selectFrom('messages')
      .select(['status', 'provider_message_id'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  const replies = () =>
    whatsappReplies({
      queues,
      store: outboundStore(t.db),
      accountStopped: (id) => isAccountStopped(t.db, id),
      attempts: 2,
      backoffMs: 50,
    });
  const deliver = (r: ReturnType<typeof replies>, messageId: string) =>
    deliverOutbound(
      { ...outboundStore(t.db), postSigned: () => Promise.resolve(500), handOff: r.handOff },
      { messageId },
    );

  beforeAll(async () => {
    t = await createTestDatabase();
    queues = createQueueBackend({
      kind: 'postgres',
      url: t.url,
      schema: `bullmq_${randomBytes(4).toString('hex')}`,
    });
    for (const statement of [
      sql`insert into organizations (id, name) values ('org_wsend', 'Org')`,
      sql`insert into workspaces (id, organization_id, name, integration_secret) values (${ws}, 'org_wsend', 'W', 's')`,
      sql`insert into contacts (id, workspace_id, name) values ('ct_wsend', ${ws}, 'Anna')`,
    ])
      await statement.execute(t.db);
  });
  afterAll(async () => {
    await queues?.close();
    await t?.drop();
  });

  it('the worker beside the account sends, stores WhatsApp’s id, and applies an ack that came before the id was stored', async () => {
    const r = replies();
    const channelId = await account('connected');
    const messageId = await pendingReply(channelId, 'Ist unterwegs');
    expect(await deliver(r, messageId)).toBe('handed_off');
    expect(await queues.queue(whatsappSendQueue(channelId)).getJobCounts('waiting')).toEqual({
      waiting: 1,
    });
    const sent: string[] = [];
    const recorded: string[] = [];
    const running: RunningAccount = {
      workspaceId: ws,
      channelId,
      send: (chatId, text) => {
        sent.push(`${chatId} ${text}`);
        return Promise.resolve('true_491701234567@c.us_3EB0AA');
      },
      recorded: (id) => Promise.resolve(void recorded.push(id)),
    };
    const worker = await r.companion.start(running);
    try {
      await expect.poll(async () => (await stored(messageId)).status).toBe('sent');
      expect(sent).toEqual(['491701234567@c.us Ist unterwegs']);
      expect(await stored(messageId)).toEqual({
        status: 'sent',
        provider_message_id: 'true_491701234567@c.us_3EB0AA',
      });
      expect(recorded).toEqual(['true_491701234567@c.us_3EB0AA']);
    } finally {
      await worker.stop();
    }
  });

  it('a chat id WhatsApp can never take fails at once, without retries', async () => {
    const r = replies();
    const channelId = await account('connected');
    const messageId = await pendingReply(channelId);
    let tries = 0;
    const worker = await r.companion.start({
      workspaceId: ws,
      channelId,
      send: () => {
        tries++;
        return Promise.reject(new AppError('invalid_input', 'Not a WhatsApp chat id.'));
      },
      recorded: () => Promise.resolve(),
    });
    try {
      await deliver(r, messageId);
      await expect.poll(async () => (await stored(messageId)).status).toBe('failed');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(tries).toBe(1);
    } finally {
      await worker.stop();
    }
  });

  it('a logged-out account: a new reply fails at once, those already waiting fail when it is given up', async () => {
    const r = replies();
    const channelId = await account('qr_pending');
    const waiting = await pendingReply(channelId);
    expect(await deliver(r, waiting)).toBe('handed_off'); // nobody runs it yet: it waits
    await sql`update channel_accounts set status = 'logged_out' where id = ${channelId}`.execute(
      t.db,
    );
    const late = await pendingReply(channelId);
    await expect(deliver(r, late)).rejects.toMatchObject({ code: 'conflict' });
    expect((await stored(late)).status).toBe('failed');
    expect((await stored(waiting)).status).toBe('pending');

    await r.companion.abandon?.(channelId);
    expect((await stored(waiting)).status).toBe('failed');
    expect(
      await queues
        .queue(whatsappSendQueue(channelId))
        .getJobCounts('waiting', 'delayed', 'prioritized'),
    ).toEqual({ waiting: 0, delayed: 0, prioritized: 0 });
  });
});
