import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  client,
  createWorkspaceWithChannel,
  openStream,
  signedHeaders,
  startApi,
  startReceiver,
  type RunningApi,
} from '../../support/api.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

/**
 * Issue 17 end to end, over a real socket against real PostgreSQL: a phone number sent in any
 * usual spelling is one contact, shown as E.164 with its '+' in the chat list, the event
 * stream and outbound webhook deliveries; a number that cannot be made international is
 * refused with 422 and nothing is stored.
 */
describe('phone numbers keep their plus (issue 17)', () => {
  let t: TestDatabase;
  let api: RunningApi;
  let call: ReturnType<typeof client>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let ws = '';
  let owner = '';
  let channel = { id: '', secret: '' };
  let n = 0;

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startApi(t);
    call = client(api.base);
    receiver = await startReceiver();
    ({ ws, owner, channel } = await createWorkspaceWithChannel(api));
    const hook = await call('POST', `/v1/workspaces/${ws}/webhooks`, {
      token: owner,
      body: { url: receiver.url, events: ['message.created'] },
    });
    expect(hook.status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await receiver?.close();
    await api?.close();
    await t?.drop();
  });

  const inbound = (chatId: string, text: string, phone: string) => {
    const raw = JSON.stringify({
      messageId: `m${++n}`,
      chatId,
      contact: { name: 'Customer', phone },
      text,
      sentAt: new Date(Date.now() + n).toISOString(),
    });
    return call('POST', `/v1/inbound/webhook/${channel.id}`, {
      raw,
      headers: signedHeaders(channel.secret, raw),
    });
  };
  type ListedChat = { id: string; externalId: string; contact: { id: string; phone: string } };
  const chats = async () =>
    (await call('GET', `/v1/workspaces/${ws}/chats?limit=50`, { token: owner })).body
      .items as ListedChat[];

  it('a number sent as "+49 30 123456" is +4930123456 in the chat list, the event stream and a webhook delivery', async () => {
    const stream = await openStream(api.base, `/v1/workspaces/${ws}/events`, owner);
    try {
      expect(stream.status).toBe(200);
      await expect.poll(() => stream.events.some((e) => e.event === 'ready')).toBe(true);

      expect((await inbound('chat-spaced', 'first, spaced', '+49 30 123456')).status).toBe(202);

      const listed = (await chats()).find((c) => c.externalId === 'chat-spaced');
      expect(listed?.contact.phone).toBe('+4930123456');

      const isFirst = (e: { event: string; data: any }) =>
        e.event === 'message.created' && e.data.message?.text === 'first, spaced';
      await expect.poll(() => stream.events.some(isFirst), { timeout: 10_000 }).toBe(true);
      expect(stream.events.find(isFirst)?.data.chat.contact.phone).toBe('+4930123456');

      const delivered = () =>
        receiver.received
          .map((r) => JSON.parse(r.body) as { message?: { text: string }; chat: any })
          .find((b) => b.message?.text === 'first, spaced');
      await expect.poll(() => delivered() !== undefined, { timeout: 20_000 }).toBe(true);
      expect(delivered()?.chat.contact.phone).toBe('+4930123456');
    } finally {
      stream.close();
    }
  });

  it('the same number as "0049 30 123456", "+49 (30) 123-456", bare digits or a WhatsApp id is the same contact', async () => {
    const spellings = [
      ['chat-00', '0049 30 123456'],
      ['chat-brackets', '+49 (30) 123-456'],
      ['chat-bare', '4930123456'],
      ['chat-jid', '4930123456@c.us'],
    ] as const;
    for (const [chatId, phone] of spellings) {
      expect((await inbound(chatId, `from ${chatId}`, phone)).status, phone).toBe(202);
    }
    const list = await chats();
    const first = list.find((c) => c.externalId === 'chat-spaced');
    expect(first).toBeDefined();
    for (const [chatId] of spellings) {
      const c = list.find((x) => x.externalId === chatId);
      expect(c?.contact, chatId).toEqual(first?.contact);
    }
    const stored = await t.db
      .selectFrom('contacts')
      .select('phone')
      .where('workspace_id', '=', ws)
      .execute();
    expect(stored).toEqual([{ phone: '+4930123456' }]);

    // A second message on the first chat, from the 00 spelling: still that chat and contact.
    expect((await inbound('chat-spaced', 'again, 00', '0049 30 123456')).status).toBe(202);
    const again = (await chats()).filter((c) => c.externalId === 'chat-spaced');
    expect(again).toHaveLength(1);
    expect(again[0]?.contact).toEqual(first?.contact);
  });

  it.each([
    ['030 123456', 'national number'],
    ['+999 123456', 'country calling code'],
    ['+49 12', 'too short'],
    ['+49 30 12345 ext 6', 'must be a phone number'],
  ])('refuses %j with 422 (%s) and stores nothing', async (phone, reason) => {
    const count = async () =>
      Number(
        (
          await t.db
            .selectFrom('messages')
            .select((e) => e.fn.countAll<string>().as('n'))
            .where('workspace_id', '=', ws)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    const res = await inbound('chat-refused', 'never stored', phone);
    expect(res.status).toBe(422);
    expect(res.body.error.details).toEqual([
      { path: 'body.contact.phone', message: expect.stringContaining(reason) as unknown },
    ]);
    expect(await count()).toBe(before);
  });
});
