import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  client,
  createWorkspaceWithChannel,
  inboundChat,
  openStream,
  startApi,
  startReceiver,
  type RunningApi,
} from '../../support/api.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

/**
 * `message.status_changed`: a reply's delivery state, live. Announced by the database whenever
 * a reply's status moves (whoever moved it), carried by the event stream to those who may see
 * the chat (with the message and its new status) and by webhook subscriptions that ask for it.
 */
describe('message.status_changed', () => {
  let t: TestDatabase;
  let api: RunningApi;
  let refuse = false;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let hooks: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startApi(t, { webhookAttempts: 1 });
    receiver = await startReceiver(() => (refuse ? 400 : 200));
    hooks = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await hooks?.close();
    await api?.close();
    await t?.drop();
  });

  it('follows a reply from pending to sent, and to failed when refused, on the stream and a webhook; never to someone who may not see the chat', async () => {
    const call = client(api.base);
    const { ws, owner } = await createWorkspaceWithChannel(api, 'Status Events');
    const channel = await call('POST', `/v1/workspaces/${ws}/channels`, {
      token: owner,
      body: {
        type: 'webhook',
        name: 'Shop',
        owner: { type: 'workspace' },
        outboundUrl: receiver.url,
      },
    });
    expect(channel.status).toBe(201);
    const shop = { id: channel.body.channel.id, secret: channel.body.channel.inbound.secret };
    const chatId = await inboundChat(api, t, shop, 'status-1', { name: 'Dora' });
    const outsider = await addMember(api, ws, owner, {
      email: 'agent@status.test',
      name: 'Otto',
      role: 'agent',
    });
    const hook = await call('POST', `/v1/workspaces/${ws}/webhooks`, {
      token: owner,
      body: { url: hooks.url, events: ['message.status_changed'] },
    });
    expect(hook.status).toBe(201);

    const mine = await openStream(api.base, `/v1/workspaces/${ws}/events`, owner);
    const theirs = await openStream(api.base, `/v1/workspaces/${ws}/events`, outsider.token);
    await expect.poll(() => mine.events.some((e) => e.event === 'ready')).toBe(true);
    await expect.poll(() => theirs.events.some((e) => e.event === 'ready')).toBe(true);

    const statusesOf = (messageId: string) =>
      mine.events
        .filter((e) => e.event === 'message.status_changed' && e.data.message?.id === messageId)
        .map((e) => e.data.message.status as string);

    const sent = await call('POST', `/v1/workspaces/${ws}/chats/${chatId}/messages`, {
      token: owner,
      body: { text: 'Your parcel left', channelId: shop.id },
    });
    expect(sent.status).toBe(201);
    expect(sent.body.message.status).toBe('pending');
    await expect
      .poll(() => statusesOf(sent.body.message.id), { timeout: 10_000 })
      .toEqual(['sent']);
    const event = mine.events.find((e) => e.event === 'message.status_changed');
    expect(event?.data).toMatchObject({ type: 'message.status_changed', chatId });

    refuse = true;
    const bounced = await call('POST', `/v1/workspaces/${ws}/chats/${chatId}/messages`, {
      token: owner,
      body: { text: 'This one bounces', channelId: shop.id },
    });
    await expect
      .poll(() => statusesOf(bounced.body.message.id), { timeout: 10_000 })
      .toEqual(['failed']);
    refuse = false;

    // The webhook subscription got both transitions, once each.
    await expect.poll(() => hooks.received.length, { timeout: 10_000 }).toBe(2);
    const delivered = hooks.received.map((r) => JSON.parse(r.body));
    expect(delivered.map((d) => [d.type, d.message?.status])).toEqual(
      expect.arrayContaining([
        ['message.status_changed', 'sent'],
        ['message.status_changed', 'failed'],
      ]),
    );
    // A status that is written again unchanged announces nothing.
    await t.db
      .updateTable('messages')
      .set({ status: 'sent' })
      .where('id', '=', sent.body.message.id)
      .execute();
    // The Agent, who may not see the chat, heard none of it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(statusesOf(sent.body.message.id)).toEqual(['sent']);
    expect(theirs.events.filter((e) => e.event === 'message.status_changed')).toEqual([]);
    mine.close();
    theirs.close();
  });
});
