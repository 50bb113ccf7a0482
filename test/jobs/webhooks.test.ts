import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, signedHeaders, startApi, startReceiver, type RunningApi } from '../support/api.js';
import { createTestDatabase, redisUrl, type TestDatabase } from '../support/database.js';

/**
 * Outbound webhooks end to end on both queue backends: a receiver that fails the first calls
 * gets each event once, in order per chat; one that always fails dead-letters, and a replay
 * delivers; payloads are signed and redacted for the subscription's creator.
 */
const redis = redisUrl();
// Both backends always appear in the report; Redis ones are skipped, by name, without REDIS_URL.
const kinds = ['postgres', redis ? 'redis' : 'redis (skipped: REDIS_URL is not set)'] as const;

describe.each(kinds)('webhook delivery on BullMQ/%s', (label) => {
  const kind = label.startsWith('redis') ? ('redis' as const) : ('postgres' as const);
  if (kind === 'redis' && !redis) {
    it.skip('needs REDIS_URL', () => undefined);
    return;
  }
  let t: TestDatabase;
  let api: RunningApi;
  let call: ReturnType<typeof client>;
  let ws = '';
  let owner = '';
  let channel = { id: '', secret: '' };
  let n = 0;

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startApi(t, {
      webhookAttempts: 4,
      ...(kind === 'redis' && redis ? { redisUrl: redis } : {}),
    });
    call = client(api.base);
    const org = await call('POST', '/v1/organizations', {
      token: api.platformToken,
      body: { name: 'Acme', workspace: { name: 'W' }, owner: { email: 'o@acme.test', name: 'O' } },
    });
    ws = org.body.workspace.id;
    owner = org.body.token;
    const ch = await call('POST', `/v1/workspaces/${ws}/channels`, {
      token: owner,
      body: { type: 'webhook', name: 'c', owner: { type: 'workspace' } },
    });
    channel = { id: ch.body.channel.id, secret: ch.body.channel.inbound.secret };
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await t?.drop();
  });

  const inbound = async (chatId: string, text: string) => {
    const raw = JSON.stringify({
      messageId: `m${++n}`,
      chatId,
      contact: { name: 'Cus', phone: '+4915155500000' },
      text,
      sentAt: new Date(Date.now() + n).toISOString(),
    });
    expect(
      (
        await call('POST', `/v1/inbound/webhook/${channel.id}`, {
          raw,
          headers: signedHeaders(channel.secret, raw),
        })
      ).status,
    ).toBe(202);
  };
  const subscribe = async (url: string) => {
    const res = await call('POST', `/v1/workspaces/${ws}/webhooks`, {
      token: owner,
      body: { url, events: ['message.created'] },
    });
    expect(res.status).toBe(201);
    return res.body.webhook as { id: string; secret: string };
  };
  const deliveries = async (hook: string) =>
    (
      await call('GET', `/v1/workspaces/${ws}/webhooks/${hook}/deliveries?limit=200`, {
        token: owner,
      })
    ).body.items as Array<{ id: string; status: string; attempts: number }>;

  it('a receiver failing its first calls gets every event once, signed, in order per chat', async () => {
    const receiver = await startReceiver((call) => (call <= 2 ? 500 : 200));
    try {
      const hook = await subscribe(receiver.url);
      for (const text of ['first', 'second', 'third']) await inbound(`chat-order-${kind}`, text);
      await expect
        .poll(
          async () => (await deliveries(hook.id)).filter((d) => d.status === 'succeeded').length,
          { timeout: 20_000 },
        )
        .toBe(3);
      // Successful receipts: each event once, in the order they happened.
      const texts = receiver.received.map((r) => JSON.parse(r.body).message.text as string);
      const firstSuccess = 2; // calls 1 and 2 were answered 500
      expect(texts.slice(firstSuccess)).toEqual(['first', 'second', 'third']);
      expect(new Set(receiver.received.map((r) => JSON.parse(r.body).id)).size).toBe(3);
      const last = receiver.received.at(-1);
      if (!last) throw new Error('nothing received');
      const ts = String(last.headers['x-switchboard-timestamp']);
      const expected = `v1=${createHmac('sha256', hook.secret).update(`${ts}.${last.body}`).digest('hex')}`;
      expect(last.headers['x-switchboard-signature']).toBe(expected);
      const list = await deliveries(hook.id);
      expect(Math.max(...list.map((d) => d.attempts))).toBeGreaterThanOrEqual(2);
    } finally {
      await receiver.close();
    }
  });

  it('a receiver that always fails dead-letters the delivery; a replay delivers it', async () => {
    let healthy = false;
    const receiver = await startReceiver(() => (healthy ? 200 : 503));
    try {
      const hook = await subscribe(receiver.url);
      await inbound(`chat-dead-${kind}`, 'doomed');
      await expect
        .poll(async () => (await deliveries(hook.id))[0]?.status, { timeout: 20_000 })
        .toBe('dead');
      const [dead] = await deliveries(hook.id);
      expect(dead?.attempts).toBe(4);
      healthy = true;
      const replay = await call(
        'POST',
        `/v1/workspaces/${ws}/webhooks/${hook.id}/deliveries/${dead?.id}/replay`,
        { token: owner },
      );
      expect(replay.status).toBe(202);
      await expect
        .poll(async () => (await deliveries(hook.id))[0]?.status, { timeout: 20_000 })
        .toBe('succeeded');
      expect(receiver.received.filter((r) => r.body.includes('doomed')).length).toBe(5);
      const again = await call(
        'POST',
        `/v1/workspaces/${ws}/webhooks/${hook.id}/deliveries/${dead?.id}/replay`,
        { token: owner },
      );
      expect(again.status).toBe(409);
    } finally {
      await receiver.close();
    }
  });

  it('carries only what its creator may see, masked as they see it', async () => {
    const receiver = await startReceiver();
    try {
      const invite = await call('POST', `/v1/workspaces/${ws}/invitations`, {
        token: owner,
        body: {
          email: `admin-${kind}@acme.test`,
          name: 'Ad',
          role: 'admin',
          restrictions: { maskContactIdentifiers: true },
        },
      });
      const admin = (
        await call('POST', '/v1/invitations/accept', {
          body: { token: invite.body.invitation.token },
        })
      ).body.token;
      const hook = await call('POST', `/v1/workspaces/${ws}/webhooks`, {
        token: admin,
        body: { url: receiver.url, events: ['*'] },
      });
      expect(hook.status).toBe(201);
      await inbound(`chat-mask-${kind}`, 'call +49 151 555 00000');
      await expect
        .poll(() => receiver.received.some((r) => r.body.includes('call ')), { timeout: 20_000 })
        .toBe(true);
      for (const r of receiver.received)
        expect(r.body.replace(/\D/g, '')).not.toContain('4915155500000');

      // Suspended, the creator's subscription carries nothing more: the worker decides each
      // event against the access facts current when it is dispatched. The Owner's own
      // subscription shows when that next event has been dispatched.
      const witness = await startReceiver();
      try {
        await subscribe(witness.url);
        const members = await call('GET', `/v1/workspaces/${ws}/members`, { token: owner });
        const adminId = members.body.items.find(
          (m: { user: { email: string } }) => m.user.email === `admin-${kind}@acme.test`,
        ).user.id;
        const suspended = await call('POST', `/v1/workspaces/${ws}/members/${adminId}/suspend`, {
          token: owner,
          body: {},
        });
        expect(suspended.status).toBe(200);
        const before = receiver.received.length;
        await inbound(`chat-mask-${kind}`, 'after the suspension');
        await expect
          .poll(() => witness.received.some((r) => r.body.includes('after the suspension')), {
            timeout: 20_000,
          })
          .toBe(true);
        expect(receiver.received.length).toBe(before);
      } finally {
        await witness.close();
      }
    } finally {
      await receiver.close();
    }
  });
});
