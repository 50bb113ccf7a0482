import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  client,
  openStream,
  signedHeaders,
  startApi,
  startReceiver,
  type RunningApi,
} from '../../support/api.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

/**
 * Replies end to end (issue 18): a reply's delivery is recorded in the transaction that stores
 * it, so a queue that refuses at reply time delays it but never loses it; a webhook channel
 * without an outboundUrl takes replies and publishes them like every message (shared/API.md).
 */
describe('replies', () => {
  let t: TestDatabase;
  let api: RunningApi;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let hooks: Awaited<ReturnType<typeof startReceiver>>;
  let call: ReturnType<typeof client>;
  let ws = '';
  let owner = '';
  let n = 0;

  const connect = async (body: object) => {
    const res = await call('POST', `/v1/workspaces/${ws}/channels`, {
      token: owner,
      body: { type: 'webhook', owner: { type: 'workspace' }, ...body },
    });
    expect(res.status).toBe(201);
    return { id: res.body.channel.id as string, secret: res.body.channel.inbound.secret as string };
  };
  /** A new chat on the channel, by an inbound message; its id. */
  const newChat = async (channel: { id: string; secret: string }, text: string) => {
    const raw = JSON.stringify({
      messageId: `m${++n}`,
      chatId: `ext-${n}`,
      contact: { name: 'Cus', phone: `+4915155500${String(n).padStart(3, '0')}` },
      text,
      sentAt: new Date().toISOString(),
    });
    const res = await call('POST', `/v1/inbound/webhook/${channel.id}`, {
      raw,
      headers: signedHeaders(channel.secret, raw),
    });
    expect(res.status).toBe(202);
    const list = await call('GET', `/v1/workspaces/${ws}/chats?limit=200`, { token: owner });
    const chat = list.body.items.find((c: { lastMessagePreview: string }) =>
      c.lastMessagePreview.includes(text),
    );
    expect(chat).toBeTruthy();
    return chat.id as string;
  };
  const history = async (chatId: string) =>
    (await call('GET', `/v1/workspaces/${ws}/chats/${chatId}/messages`, { token: owner })).body
      .items as Array<{ id: string; text: string; status: string; direction: string }>;

  beforeAll(async () => {
    t = await createTestDatabase();
    // Every immediate enqueue of a delivery fails: only the outbox can deliver.
    api = await startApi(t, { failEnqueueOutbound: true });
    receiver = await startReceiver();
    hooks = await startReceiver();
    call = client(api.base);
    const org = await call('POST', '/v1/organizations', {
      token: api.platformToken,
      body: { name: 'Acme', workspace: { name: 'W' }, owner: { email: 'o@acme.test', name: 'O' } },
    });
    ws = org.body.workspace.id;
    owner = org.body.token;
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await receiver?.close();
    await hooks?.close();
    await t?.drop();
  });

  it('a reply whose enqueue fails at reply time is still delivered, once, by the outbox relay', async () => {
    const channel = await connect({ name: 'With URL', outboundUrl: receiver.url });
    const chatId = await newChat(channel, 'where is my order?');
    const res = await call('POST', `/v1/workspaces/${ws}/chats/${chatId}/messages`, {
      token: owner,
      body: { text: 'It ships today' },
    });
    expect(res.status).toBe(201);
    expect(res.body.message.status).toBe('pending');
    await expect
      .poll(() => receiver.received.filter((r) => r.body.includes('It ships today')).length, {
        timeout: 15_000,
      })
      .toBe(1);
    await expect
      .poll(async () => (await history(chatId)).find((m) => m.id === res.body.message.id)?.status, {
        timeout: 15_000,
      })
      .toBe('sent');
    const outbox = await t.db
      .selectFrom('outbox')
      .select(['topic', 'published_at'])
      .where('workspace_id', '=', ws)
      .where('topic', '=', 'message.deliver')
      .execute();
    expect(outbox).toHaveLength(1);
    await expect
      .poll(
        async () =>
          (
            await t.db
              .selectFrom('outbox')
              .select('published_at')
              .where('workspace_id', '=', ws)
              .where('topic', '=', 'message.deliver')
              .executeTakeFirst()
          )?.published_at,
      )
      .toBeTruthy();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received.filter((r) => r.body.includes('It ships today'))).toHaveLength(1);
  });

  it('a webhook channel without outboundUrl takes a reply (201): stored, in history, on the event stream and to webhook subscriptions', async () => {
    const channel = await connect({ name: 'No URL' });
    const chatId = await newChat(channel, 'anyone there?');
    const hook = await call('POST', `/v1/workspaces/${ws}/webhooks`, {
      token: owner,
      body: { url: hooks.url, events: ['message.created'] },
    });
    expect(hook.status).toBe(201);
    const stream = await openStream(api.base, `/v1/workspaces/${ws}/events`, owner);
    try {
      await expect.poll(() => stream.events.some((e) => e.event === 'ready')).toBe(true);
      const res = await call('POST', `/v1/workspaces/${ws}/chats/${chatId}/messages`, {
        token: owner,
        body: { text: 'Yes, here!' },
      });
      expect(res.status).toBe(201);
      const message = res.body.message as { id: string; status: string; channelId: string };
      expect(message).toMatchObject({
        direction: 'out',
        text: 'Yes, here!',
        channelId: channel.id,
      });
      // Published is how it goes out: nothing waits to deliver it.
      expect(message.status).toBe('sent');
      expect((await history(chatId))[0]).toMatchObject({
        id: message.id,
        direction: 'out',
        text: 'Yes, here!',
      });
      await expect
        .poll(() =>
          stream.events.some(
            (e) => e.event === 'message.created' && e.data.message?.id === message.id,
          ),
        )
        .toBe(true);
      await expect
        .poll(() => hooks.received.some((r) => r.body.includes(message.id)), { timeout: 15_000 })
        .toBe(true);
      const delivered = hooks.received.find((r) => r.body.includes(message.id));
      expect(JSON.parse(delivered?.body ?? '{}')).toMatchObject({
        type: 'message.created',
        chatId,
        message: { id: message.id, text: 'Yes, here!', direction: 'out' },
      });
      // Nothing was queued for delivery, and nothing marked it failed.
      const queued = await t.db
        .selectFrom('outbox')
        .select('payload')
        .where('workspace_id', '=', ws)
        .where('topic', '=', 'message.deliver')
        .execute();
      expect(queued.map((r) => (r.payload as { messageId: string }).messageId)).not.toContain(
        message.id,
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await history(chatId))[0]?.status).toBe('sent');
    } finally {
      stream.close();
    }
  });
});
