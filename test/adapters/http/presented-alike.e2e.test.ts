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
 * One presenter (`adapters/present/`): a chat and its message reach a user the same way in a
 * REST reply, on the event stream and in a webhook delivery — for a user with
 * `maskContactIdentifiers` (PRODUCT.md §3.4), masked the same way in all three.
 */
describe('a chat is presented alike by REST, the event stream and webhooks', () => {
  let t: TestDatabase;
  let api: RunningApi;
  let call: ReturnType<typeof client>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let ws = '';
  let masked = '';
  let channel = { id: '', secret: '' };

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startApi(t);
    call = client(api.base);
    receiver = await startReceiver();
    const created = await createWorkspaceWithChannel(api, 'Alike');
    ({ ws, channel } = created);
    const owner = created.owner;
    const invite = await call('POST', `/v1/workspaces/${ws}/invitations`, {
      token: owner,
      body: {
        email: 'masked@alike.test',
        name: 'Masked Admin',
        role: 'admin',
        restrictions: { maskContactIdentifiers: true },
      },
    });
    expect(invite.status).toBe(201);
    const accepted = await call('POST', '/v1/invitations/accept', {
      body: { token: invite.body.invitation.token },
    });
    expect(accepted.status).toBe(200);
    masked = accepted.body.token as string;
    // The subscription acts as its creator: the masked user.
    const hook = await call('POST', `/v1/workspaces/${ws}/webhooks`, {
      token: masked,
      body: { url: receiver.url, events: ['message.created'] },
    });
    expect(hook.status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await receiver?.close();
    await api?.close();
    await t?.drop();
  });

  it('masked phone and email, identical in the REST reply, the SSE event and the webhook payload', async () => {
    const stream = await openStream(api.base, `/v1/workspaces/${ws}/events`, masked);
    try {
      expect(stream.status).toBe(200);
      await expect.poll(() => stream.events.some((e) => e.event === 'ready')).toBe(true);
      const raw = JSON.stringify({
        messageId: 'alike-1',
        chatId: 'alike-chat',
        contact: { name: 'Dana', phone: '+49 151 2345 6789', email: 'dana@example.com' },
        text: 'write to dana@example.com or call +49 151 2345 6789',
        sentAt: new Date().toISOString(),
      });
      const sent = await call('POST', `/v1/inbound/webhook/${channel.id}`, {
        raw,
        headers: signedHeaders(channel.secret, raw),
      });
      expect(sent.status).toBe(202);

      const isIt = (e: { event: string; data: any }) =>
        e.event === 'message.created' && e.data.chat?.externalId === 'alike-chat';
      await expect.poll(() => stream.events.some(isIt), { timeout: 10_000 }).toBe(true);
      const viaStream = stream.events.find(isIt)?.data;

      const delivered = () =>
        receiver.received
          .map((r) => JSON.parse(r.body) as Record<string, any>)
          .find((b) => b.chat?.externalId === 'alike-chat');
      await expect.poll(() => delivered() !== undefined, { timeout: 20_000 }).toBe(true);
      const viaWebhook = delivered();

      const chatId = viaStream.chatId as string;
      const detail = await call('GET', `/v1/workspaces/${ws}/chats/${chatId}`, { token: masked });
      expect(detail.status).toBe(200);
      // The detail adds what only a single chat's read carries: routing and participants.
      const viaRest = { ...detail.body.chat };
      delete viaRest.routing;
      delete viaRest.participants;
      const history = await call('GET', `/v1/workspaces/${ws}/chats/${chatId}/messages`, {
        token: masked,
      });
      expect(history.status).toBe(200);

      // Masked: no phone digits and no email anywhere in any of the three.
      for (const shown of [viaRest, viaStream, viaWebhook, history.body]) {
        const text = JSON.stringify(shown);
        expect(text.replace(/\D/g, '')).not.toContain('4915123456789');
        expect(text).not.toContain('dana@example.com');
      }
      expect(viaRest.contact.phone).toMatch(/^•+89$/);
      expect(viaRest.contact.email).toBe('d•••@•••.com');

      // Identical: the chat and the message, in all three.
      expect(viaStream.chat).toEqual(viaRest);
      expect(viaWebhook?.chat).toEqual(viaRest);
      expect(viaStream.message).toEqual(history.body.items[0]);
      expect(viaWebhook?.message).toEqual(history.body.items[0]);
      expect(viaWebhook).toEqual({ id: expect.any(String), ...viaStream });

      // The masked user's own reply quoting the number another way: masked in the 201 as in
      // the history.
      const answered = await call('POST', `/v1/workspaces/${ws}/chats/${chatId}/messages`, {
        token: masked,
        body: { text: 'I will call 0049 151 2345 6789 today' },
      });
      expect(answered.status).toBe(201);
      expect(answered.body.message.text.replace(/\D/g, '')).not.toContain('15123456789');
      const after = await call('GET', `/v1/workspaces/${ws}/chats/${chatId}/messages`, {
        token: masked,
      });
      const shownLater = (after.body.items as Array<{ id: string }>).find(
        (m) => m.id === answered.body.message.id,
      );
      expect(answered.body.message).toEqual(shownLater);
    } finally {
      stream.close();
    }
  });
});
