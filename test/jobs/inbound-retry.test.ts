import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueueBackend } from '../../src/adapters/queue/backend.js';
import type { IngestResult } from '../../src/adapters/db/ingest.js';
import type { InboundMessage } from '../../src/core/chats/inbound-message.js';
import { durableIngest } from '../../src/jobs/inbound-retry.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * A WhatsApp message that cannot be stored now (the database is away) waits in the queue and
 * is stored by a worker later; one that can never be stored is refused at once.
 */
const message = (id: string): InboundMessage => ({
  workspaceId: 'ws',
  channelId: 'ch',
  externalChatId: '491510000001@c.us',
  providerMessageId: id,
  contact: { name: 'Ann', phone: '+491510000001', email: null },
  text: 'hello',
  sentAt: new Date('2026-11-22T10:00:00.000Z'),
  isGroup: false,
  senderExternalId: null,
  media: { type: 'image', mimetype: 'image/jpeg', filename: null, size: 10 },
});

describe('durableIngest', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.drop());

  it('queues a message the database cannot take now and stores it when it can', async () => {
    const queues = createQueueBackend({
      kind: 'postgres',
      url: t.url,
      schema: `bullmq_${randomBytes(4).toString('hex')}`,
    });
    let down = true;
    const stored: InboundMessage[] = [];
    const ingest = {
      submit(m: InboundMessage): Promise<IngestResult> {
        if (down) return Promise.reject(Object.assign(new Error('terminating'), { code: '57P01' }));
        stored.push(m);
        return Promise.resolve({ duplicate: false, chatId: 'c', messageId: 'm', newChat: true });
      },
    };
    const queued: string[] = [];
    const durable = durableIngest(ingest, queues, {
      onQueued: (m) => queued.push(m.providerMessageId),
    });
    try {
      await durable.submit(message('wa-1'));
      expect(queued).toEqual(['wa-1']);
      expect(stored).toHaveLength(0);
      down = false;
      // The worker's retry (backoff from 2 s) stores it, with every field intact.
      await expect.poll(() => stored.length, { timeout: 15_000, interval: 200 }).toBe(1);
      expect(stored[0]).toEqual(message('wa-1'));
    } finally {
      await durable.stop();
      await queues.close();
    }
  });

  it('issue 17: a job queued before phones kept their plus is stored with E.164; a number that cannot be made international loses its phone, not the message', async () => {
    const queues = createQueueBackend({
      kind: 'postgres',
      url: t.url,
      schema: `bullmq_${randomBytes(4).toString('hex')}`,
    });
    const stored: InboundMessage[] = [];
    const durable = durableIngest(
      {
        submit(m) {
          stored.push(m);
          return Promise.resolve({ duplicate: false, chatId: 'c', messageId: 'm', newChat: true });
        },
      },
      queues,
    );
    try {
      // Payloads as an older release queued them: bare digits, added past today's schema.
      for (const [id, phone] of [
        ['old-1', '491510000001'],
        ['old-2', '0151 0000001'],
      ] as const) {
        const m = message(id);
        await queues.queue('inbound.retry').add('inbound.retry', {
          ...m,
          sentAt: m.sentAt.toISOString(),
          contact: { ...m.contact, phone },
        });
      }
      await expect.poll(() => stored.length, { timeout: 15_000, interval: 100 }).toBe(2);
      const phones = Object.fromEntries(stored.map((m) => [m.providerMessageId, m.contact.phone]));
      expect(phones).toEqual({ 'old-1': '+491510000001', 'old-2': null });
    } finally {
      await durable.stop();
      await queues.close();
    }
  });

  it('refuses at once what can never be stored', async () => {
    const queues = createQueueBackend({
      kind: 'postgres',
      url: t.url,
      schema: `bullmq_${randomBytes(4).toString('hex')}`,
    });
    const durable = durableIngest(
      { submit: () => Promise.reject(Object.assign(new Error('bad'), { code: '22021' })) },
      queues,
    );
    try {
      await expect(durable.submit(message('wa-2'))).rejects.toThrow('bad');
    } finally {
      await durable.stop();
      await queues.close();
    }
  });
});
