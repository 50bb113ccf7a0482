import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../../src/adapters/db/database.js';
import { createEventBus } from '../../../src/adapters/db/event-bus.js';
import { ingestBatch } from '../../../src/adapters/db/ingest.js';
import { createIngestPipeline } from '../../../src/adapters/db/ingest-pipeline.js';
import type { InboundMessage } from '../../../src/core/chats/inbound-message.js';
import type { ReceivedEvent } from '../../../src/core/events/events.js';
import { cuttableProxy } from '../../support/cuttable-proxy.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

/**
 * The ingest pipeline on a real PostgreSQL: batches are idempotent on (channel, provider
 * message id) even when they repeat themselves or race each other, contacts are matched by
 * phone, then email, then the chat's own contact, a bad message fails alone, and messages
 * submitted while the database is unreachable are stored once it is back.
 */
let t: TestDatabase;
const unique = () => randomBytes(4).toString('hex');

async function workspace() {
  const ws = `ws${unique()}`;
  for (const statement of [
    sql`insert into organizations (id, name) values (${ws}, 'Org')`,
    sql`insert into workspaces (id, organization_id, name, integration_secret) values (${ws}, ${ws}, 'W', 's')`,
    sql`insert into channel_accounts (id, workspace_id, type, name, owner_type, status) values (${`${ws}_ch`}, ${ws}, 'webhook', 'c', 'workspace', 'active')`,
  ])
    await statement.execute(t.db);
  let n = 0;
  const message = (over: Partial<InboundMessage> = {}): InboundMessage => ({
    workspaceId: ws,
    channelId: `${ws}_ch`,
    externalChatId: 'chat-1',
    providerMessageId: `m${++n}`,
    contact: { name: 'Ann', phone: '+4915100000001', email: null },
    text: `hello ${n}`,
    sentAt: new Date(Date.UTC(2026, 0, 1, 12, 0, n)),
    ...over,
  });
  const count = async (table: 'messages' | 'chats' | 'contacts') =>
    Number(
      (
        await t.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('workspace_id', '=', ws)
          .executeTakeFirstOrThrow()
      ).n,
    );
  return { ws, message, count };
}

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

describe('ingestBatch', () => {
  it('stores a batch once: repeats inside it and messages stored before are duplicates', async () => {
    const { message, count } = await workspace();
    const first = message();
    const [stored] = await ingestBatch(t.db, [first]);
    expect(stored).toMatchObject({ duplicate: false, newChat: true });

    const second = message();
    const results = await ingestBatch(t.db, [
      first,
      second,
      second,
      message({ externalChatId: 'chat-2' }),
    ]);
    expect(results.map((r) => r.duplicate)).toEqual([true, false, true, false]);
    expect(results[0]?.messageId).toBe(stored?.messageId);
    expect(results[2]?.messageId).toBe(results[1]?.messageId);
    expect(results[1]?.newChat).toBe(false);
    expect(results[3]?.newChat).toBe(true);
    expect(await count('messages')).toBe(3);
    expect(await count('chats')).toBe(2);
    // Both chats are Ann's: one contact by phone.
    expect(await count('contacts')).toBe(1);
  });

  it('moves a chat up only for a newer message, whatever the order inside the batch', async () => {
    const { message } = await workspace();
    const newer = message({ text: 'newest', sentAt: new Date(Date.UTC(2026, 0, 2)) });
    const older = message({ text: 'older', sentAt: new Date(Date.UTC(2026, 0, 1)) });
    const [a] = await ingestBatch(t.db, [newer, older]);
    await ingestBatch(t.db, [
      message({ text: 'late arrival', sentAt: new Date(Date.UTC(2025, 11, 31)) }),
    ]);
    const chat = await t.db
      .selectFrom('chats')
      .select(['last_message_preview', 'last_message_at'])
      .where('id', '=', a?.chatId ?? '')
      .executeTakeFirstOrThrow();
    expect(chat.last_message_preview).toBe('newest');
    expect(chat.last_message_at.toISOString()).toBe('2026-01-02T00:00:00.000Z');
  });

  it('matches contacts by phone, then email, then the chat’s own contact', async () => {
    const { ws, message, count } = await workspace();
    await ingestBatch(t.db, [
      message({
        externalChatId: 'p1',
        contact: { name: 'Pia', phone: '+4930111222', email: 'pia@x.test' },
      }),
      message({ externalChatId: 'e1', contact: { name: 'Eve', phone: null, email: 'eve@x.test' } }),
      message({ externalChatId: 'n1', contact: { name: 'Nameless', phone: null, email: null } }),
    ]);
    await ingestBatch(t.db, [
      // Same phone on another chat, renamed: the same contact, new name, email kept.
      message({
        externalChatId: 'p2',
        contact: { name: 'Pia B.', phone: '+4930111222', email: null },
      }),
      message({ externalChatId: 'e2', contact: { name: 'Eve', phone: null, email: 'eve@x.test' } }),
      // No identifier: the chat's existing contact.
      message({ externalChatId: 'n1', contact: { name: 'Nameless', phone: null, email: null } }),
    ]);
    expect(await count('contacts')).toBe(3);
    const pia = await t.db
      .selectFrom('contacts')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('phone', '=', '+4930111222')
      .executeTakeFirstOrThrow();
    expect(pia).toMatchObject({ name: 'Pia B.', email: 'pia@x.test' });
    // A phone contact does not take an email another contact has.
    await ingestBatch(t.db, [
      message({
        externalChatId: 'p3',
        contact: { name: 'Pat', phone: '+4930999888', email: 'eve@x.test' },
      }),
    ]);
    const pat = await t.db
      .selectFrom('contacts')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('phone', '=', '+4930999888')
      .executeTakeFirstOrThrow();
    expect(pat.email).toBeNull();
  });

  it('keeps group, sender and media metadata', async () => {
    const { message } = await workspace();
    const [r] = await ingestBatch(t.db, [
      message({
        externalChatId: '1203630@g.us',
        isGroup: true,
        senderExternalId: '4915100000009@c.us',
        media: { type: 'image', mimetype: 'image/jpeg', filename: null, size: 2048 },
      }),
    ]);
    const row = await t.db
      .selectFrom('messages as m')
      .innerJoin('chats as c', 'c.id', 'm.chat_id')
      .select(['m.sender_external_id', 'm.media', 'c.is_group'])
      .where('m.id', '=', r?.messageId ?? '')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({
      sender_external_id: '4915100000009@c.us',
      media: { type: 'image', mimetype: 'image/jpeg', filename: null, size: 2048 },
      is_group: true,
    });
  });

  it('stores the messages even when what runs after them (routing) fails, undoing only its writes', async () => {
    const { ws, message, count } = await workspace();
    const errors: unknown[] = [];
    const [r] = await ingestBatch(
      t.db,
      [message()],
      async (trx, created) => {
        expect(created).toHaveLength(1);
        await sql`update chats set last_message_preview = 'routed' where workspace_id = ${ws}`.execute(
          trx,
        );
        // An SQL error aborts the transaction: only a savepoint lets the messages commit.
        await sql`select 1 / 0`.execute(trx);
      },
      (error) => errors.push(error),
    );
    expect(errors).toHaveLength(1);
    expect(r?.duplicate).toBe(false);
    expect(await count('messages')).toBe(1);
    const chat = await t.db
      .selectFrom('chats')
      .select(['last_message_preview'])
      .where('id', '=', r?.chatId ?? '')
      .executeTakeFirstOrThrow();
    expect(chat.last_message_preview).not.toBe('routed');
  });

  it('stores each message once when batches with the same messages race', async () => {
    const { message, count } = await workspace();
    const messages = Array.from({ length: 200 }, (_, i) =>
      message({
        externalChatId: `c${i % 20}`,
        contact: { name: 'X', phone: `+4930555000${i % 10}`, email: null },
      }),
    );
    const shuffled = () => [...messages].sort(() => Math.random() - 0.5);
    const pipeline = createIngestPipeline(t.db, { maxBatch: 50, concurrency: 4 });
    const results = await Promise.all(
      [...shuffled(), ...shuffled(), ...shuffled()].map((m) => pipeline.submit(m)),
    );
    await pipeline.close();
    expect(results.filter((r) => !r.duplicate)).toHaveLength(200);
    expect(await count('messages')).toBe(200);
    expect(await count('chats')).toBe(20);
    expect(await count('contacts')).toBe(10);
  });

  it('announces chat.created before message.created, one event per message', async () => {
    const { ws, message } = await workspace();
    const bus = await createEventBus(t.db, t.url);
    const events: ReceivedEvent[] = [];
    bus.subscribe((e) => {
      if (e.workspaceId === ws) events.push(e);
    });
    try {
      const results = await ingestBatch(t.db, [
        message(),
        message(),
        message({ externalChatId: 'other' }),
      ]);
      await expect.poll(() => events.length).toBe(5);
      expect(events.map((e) => e.type)).toEqual([
        'chat.created',
        'chat.created',
        'message.created',
        'message.created',
        'message.created',
      ]);
      expect(
        events
          .filter((e) => e.type === 'message.created')
          .map((e) => 'messageId' in e && e.messageId),
      ).toEqual(results.map((r) => r.messageId));
    } finally {
      await bus.close();
    }
  });
});

describe('createIngestPipeline', () => {
  it('fails a bad message alone; the rest of its batch is stored', async () => {
    const { message, count } = await workspace();
    const pipeline = createIngestPipeline(t.db, { maxBatch: 10, maxWaitMs: 20 });
    // PostgreSQL refuses NUL in text: this one cannot be stored, whatever we do.
    const outcomes = await Promise.allSettled([
      pipeline.submit(message()),
      pipeline.submit(message({ text: 'bad \u0000 byte' })),
      pipeline.submit(message()),
    ]);
    await pipeline.close();
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await count('messages')).toBe(2);
  });

  it('keeps messages submitted while the database is unreachable and stores them when it is back', async () => {
    const { message, count } = await workspace();
    const proxy = await cuttableProxy(t.url);
    const { db } = createDatabase({ url: proxy.url, maxConnections: 2 });
    const retries: number[] = [];
    const pipeline = createIngestPipeline(db, {
      retryForMs: 20_000,
      onRetry: (_error, attempt) => retries.push(attempt),
    });
    try {
      await pipeline.submit(message());
      // Cut: existing connections die, new ones are refused.
      proxy.cut();
      const pending = Array.from({ length: 20 }, () => pipeline.submit(message()));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(retries.length).toBeGreaterThan(0);
      proxy.restore();
      const results = await Promise.all(pending);
      expect(results.every((r) => !r.duplicate)).toBe(true);
      expect(await count('messages')).toBe(21);
    } finally {
      await pipeline.close();
      await db.destroy();
      proxy.close();
    }
  });
});
