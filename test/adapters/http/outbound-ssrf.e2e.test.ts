import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  client,
  createWorkspaceWithChannel,
  inboundChat,
  startApi,
  startReceiver,
  type Reply,
  type RunningApi,
} from '../../support/api.js';
import type { Lookup } from '../../../src/adapters/http/outbound-guard.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { closingReceiver, scriptedLookup } from '../../support/outbound.js';

/**
 * Issue 22 §1 through the API: a URL whose host is a literal non-public address is refused
 * when saved (422 naming the rule, nothing stored) for a webhook subscription, a webhook
 * channel's outboundUrl and Pipedrive's apiBaseUrl; a name that resolves (or rebinds) to one
 * is refused when connecting — the webhook delivery is dead at once with the reason in the
 * deliveries list, the reply failed — and the receiver gets nothing; redirects are not
 * followed; `SWITCHBOARD_OUTBOUND_ALLOW` lets a local receiver through.
 */
const rule = (address: string, words: string) =>
  `refused: ${address} is ${words} (not a public address); allow it with SWITCHBOARD_OUTBOUND_ALLOW`;

type Call = ReturnType<typeof client>;

/** 422 naming the rule, on the field that carried the URL. */
const expectRefused = (res: Reply, path: string, reason: string) => {
  expect(res.status).toBe(422);
  expect(res.body.error).toEqual({
    code: 'invalid_input',
    message: reason,
    details: [{ path, message: reason }],
  });
};

/** A subscription's deliveries as the API lists them. */
async function deliveriesOf(w: { call: Call; ws: string; owner: string }, hookId: string) {
  const path = `/v1/workspaces/${w.ws}/webhooks/${hookId}/deliveries`;
  return (await w.call('GET', path, { token: w.owner })).body.items as Array<{
    status: string;
    attempts: number;
    lastStatusCode: number | null;
    lastError: string | null;
  }>;
}

/** Waits until the subscription's only delivery has `status`. */
const settled = (w: Parameters<typeof deliveriesOf>[0], hookId: string, status: string) =>
  expect
    .poll(async () => (await deliveriesOf(w, hookId))[0]?.status, { timeout: 15_000 })
    .toBe(status);

/**
 * A server with its own database whose outbound requests are allowed `allow` and resolve names
 * with `lookup`; a workspace with an Owner and a webhook channel.
 */
function serverWith(outbound: { allow: string; lookup: Lookup }, webhookAttempts: number) {
  const world = {
    t: undefined as unknown as TestDatabase,
    api: undefined as unknown as RunningApi,
    call: undefined as unknown as Call,
    ws: '',
    owner: '',
    channel: { id: '', secret: '' },
  };
  beforeAll(async () => {
    world.t = await createTestDatabase();
    world.api = await startApi(world.t, { outbound, webhookAttempts });
    world.call = client(world.api.base);
    Object.assign(world, await createWorkspaceWithChannel(world.api, 'Outbound'));
  }, 60_000);
  afterAll(async () => {
    await world.api?.close();
    await world.t?.drop();
  });
  return world;
}

describe('outbound requests to users’ URLs, public addresses only (the default)', () => {
  const lookup = scriptedLookup({ 'evil.test': [['127.0.0.1']], 'intranet.test': [['10.0.0.1']] });
  const world = serverWith({ allow: '', lookup }, 4);
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => receiver?.close());

  it.each([
    ['http://169.254.169.254/latest/meta-data', rule('169.254.169.254', 'link-local')],
    ['http://2130706433/', rule('127.0.0.1', 'loopback')],
    ['http://[::ffff:10.0.0.1]:8080/', rule('10.0.0.1', 'private')],
    ['http://localhost:8080/', rule('127.0.0.1', 'loopback')],
  ])(
    'a webhook subscription to %s is refused (422, the rule named) and nothing is stored',
    async (url, reason) => {
      const res = await world.call('POST', `/v1/workspaces/${world.ws}/webhooks`, {
        token: world.owner,
        body: { url, events: ['message.created'] },
      });
      expectRefused(res, 'body.url', reason);
      const list = await world.call('GET', `/v1/workspaces/${world.ws}/webhooks`, {
        token: world.owner,
      });
      expect(list.body.items).toEqual([]);
    },
  );

  it('a webhook channel whose outboundUrl is cloud metadata is refused (422) and not connected', async () => {
    const res = await world.call('POST', `/v1/workspaces/${world.ws}/channels`, {
      token: world.owner,
      body: {
        type: 'webhook',
        name: 'Metadata',
        outboundUrl: 'http://169.254.169.254/latest/meta-data',
      },
    });
    expectRefused(res, 'body.outboundUrl', rule('169.254.169.254', 'link-local'));
    const stored = await world.t.db
      .selectFrom('channel_accounts')
      .select('id')
      .where('workspace_id', '=', world.ws)
      .where('name', '=', 'Metadata')
      .execute();
    expect(stored).toEqual([]);
  });

  it('a Pipedrive integration whose apiBaseUrl is cloud metadata is refused (422) and not linked', async () => {
    const res = await world.call('POST', `/v1/workspaces/${world.ws}/integrations`, {
      token: world.owner,
      body: {
        type: 'pipedrive',
        name: 'Pipedrive',
        companyId: '77',
        apiToken: 'token-1234567890',
        apiBaseUrl: 'http://169.254.169.254/latest/meta-data',
      },
    });
    expectRefused(res, 'body.apiBaseUrl', rule('169.254.169.254', 'link-local'));
    const list = await world.call('GET', `/v1/workspaces/${world.ws}/integrations`, {
      token: world.owner,
    });
    expect(list.body.items).toEqual([]);
  });

  it('a subscription to a name that resolves to loopback or a private address: each delivery is dead at once, the reason in the deliveries list, the receiver gets nothing', async () => {
    const port = new URL(receiver.url).port;
    const hooks: Array<{ id: string; reason: string }> = [];
    for (const [host, reason] of [
      ['evil.test', rule('127.0.0.1', 'loopback')],
      ['intranet.test', rule('10.0.0.1', 'private')],
    ] as const) {
      const hook = await world.call('POST', `/v1/workspaces/${world.ws}/webhooks`, {
        token: world.owner,
        body: { url: `http://${host}:${port}/hook`, events: ['message.created'] },
      });
      expect(hook.status).toBe(201);
      hooks.push({ id: hook.body.webhook.id, reason });
    }
    await inboundChat(world.api, world.t, world.channel, 'ssrf-1', {
      name: 'Cus',
      phone: '+4915155500001',
    });
    for (const hook of hooks) {
      await settled(world, hook.id, 'dead');
      // Not retried: one try, the policy's reason, no HTTP status.
      expect(await deliveriesOf(world, hook.id)).toEqual([
        expect.objectContaining({
          status: 'dead',
          attempts: 1,
          lastStatusCode: null,
          lastError: hook.reason,
        }),
      ]);
    }
    expect(lookup.calls).toEqual(expect.arrayContaining(['evil.test', 'intranet.test']));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received).toEqual([]);
  });

  it('a reply to a webhook channel whose outboundUrl resolves to loopback fails for good; the receiver gets nothing', async () => {
    const port = new URL(receiver.url).port;
    const created = await world.call('POST', `/v1/workspaces/${world.ws}/channels`, {
      token: world.owner,
      body: {
        type: 'webhook',
        name: 'Evil replies',
        owner: { type: 'workspace' },
        outboundUrl: `http://evil.test:${port}/replies`,
      },
    });
    expect(created.status).toBe(201);
    const chatId = await inboundChat(
      world.api,
      world.t,
      { id: created.body.channel.id, secret: created.body.channel.inbound.secret },
      'ssrf-reply',
      { name: 'Cus', phone: '+4915155500002' },
    );
    const reply = await world.call('POST', `/v1/workspaces/${world.ws}/chats/${chatId}/messages`, {
      token: world.owner,
      body: { text: 'to the loopback?' },
    });
    expect(reply.status).toBe(201);
    const status = async () =>
      (
        await world.t.db
          .selectFrom('messages')
          .select('status')
          .where('id', '=', reply.body.message.id)
          .executeTakeFirstOrThrow()
      ).status;
    await expect.poll(status, { timeout: 15_000 }).toBe('failed');
    expect(receiver.received).toEqual([]);
  });
});

describe('outbound requests with SWITCHBOARD_OUTBOUND_ALLOW=127.0.0.1/32', () => {
  // 127.0.0.1 is allowed, so it stands for an acceptable answer; rebind.test then answers 10.0.0.1.
  const lookup = scriptedLookup({ 'rebind.test': [['127.0.0.1'], ['10.0.0.1']] });
  const world = serverWith({ allow: '127.0.0.1/32', lookup }, 2);
  let n = 0;

  const subscribe = async (url: string) => {
    const hook = await world.call('POST', `/v1/workspaces/${world.ws}/webhooks`, {
      token: world.owner,
      body: { url, events: ['message.created'] },
    });
    expect(hook.status).toBe(201);
    await inboundChat(world.api, world.t, world.channel, `allowed-${++n}`, {
      name: 'Cus',
      phone: '+4915155500003',
    });
    return hook.body.webhook.id as string;
  };

  it('the allowed receiver on this machine gets its delivery', async () => {
    const receiver = await startReceiver();
    try {
      const hookId = await subscribe(receiver.url);
      await settled(world, hookId, 'succeeded');
      expect(receiver.received).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it('a redirect from the allowed receiver is not followed: the 3xx is a failed try, its target gets nothing', async () => {
    const target = await closingReceiver();
    const redirecting = await closingReceiver((res) => {
      res.statusCode = 307;
      res.setHeader('location', `http://127.0.0.1:${target.port}/stolen`);
      res.end();
    });
    try {
      const hookId = await subscribe(`http://127.0.0.1:${redirecting.port}/hook`);
      await settled(world, hookId, 'dead');
      expect((await deliveriesOf(world, hookId))[0]).toMatchObject({
        lastStatusCode: 307,
        lastError: 'HTTP 307',
      });
      expect(target.hits).toEqual([]);
    } finally {
      await redirecting.close();
      await target.close();
    }
  });

  it('DNS rebinding: a name answering an allowed address, then a private one, is refused on the connection that gets the private answer', async () => {
    // The receiver fails the first try and closes the connection: the retry connects anew.
    const receiver = await closingReceiver((res) => {
      res.statusCode = 500;
      res.end();
    });
    try {
      const hookId = await subscribe(`http://rebind.test:${receiver.port}/hook`);
      await settled(world, hookId, 'dead');
      expect((await deliveriesOf(world, hookId))[0]).toMatchObject({
        attempts: 2,
        lastStatusCode: null,
        lastError: rule('10.0.0.1', 'private'),
      });
      expect(receiver.hits).toEqual(['/hook']);
      expect(lookup.calls.filter((name) => name === 'rebind.test')).toHaveLength(2);
    } finally {
      await receiver.close();
    }
  });
});
