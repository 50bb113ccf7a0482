import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEventBus } from '../../../src/adapters/db/event-bus.js';
import { createIngestPipeline } from '../../../src/adapters/db/ingest-pipeline.js';
import { outboundStore } from '../../../src/adapters/db/outbound.js';
import { isAccountStopped } from '../../../src/adapters/whatsapp/account-store.js';
import { WhatsappAccounts } from '../../../src/adapters/whatsapp/accounts.js';
import { createPostgresLeases } from '../../../src/adapters/whatsapp/lease.js';
import type { WhatsappClientFactory } from '../../../src/adapters/whatsapp/whatsapp-channel.js';
import { AppError } from '../../../src/core/errors.js';
import { whatsappReplies } from '../../../src/jobs/whatsapp-send.js';
import { client, openStream, startApi, startReceiver, type RunningApi } from '../../support/api.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { FakeClient } from './fixtures/fake-client.js';
import { ANNA, BEN, GROUP, messageOf, text } from './fixtures/messages.js';

/**
 * WhatsApp accounts end to end, with fake whatsapp-web.js clients fed real `Message` objects:
 * connect by QR through the API (status and QR for those who may connect the account, on
 * their live stream too), ingest with personal-chat protection, replies sent by whichever
 * node holds the account's lease and moved forward by acks, failover between nodes.
 */
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined };
const CARL = '4917655555555@c.us';

/** A client whose delivery ack comes before `sendMessage` returns (a fast network). */
class QuickAckClient extends FakeClient {
  override async sendMessage(chatId: string, content: string) {
    const sent = await super.sendMessage(chatId, content);
    this.emit('message_ack', sent, 2);
    return sent;
  }
}

/** A "node"'s client factory: the fake clients it created, per account. */
function fakeClients(Client: typeof FakeClient = FakeClient) {
  const made = new Map<string, FakeClient[]>();
  const createClient: WhatsappClientFactory = ({ channelId }) => {
    const fake = new Client();
    made.set(channelId, [...(made.get(channelId) ?? []), fake]);
    return fake;
  };
  const latest = (channelId: string) => made.get(channelId)?.at(-1);
  const current = async (channelId: string) => {
    await vi.waitFor(() => expect(latest(channelId)).toBeDefined(), { timeout: 10_000 });
    return latest(channelId) as FakeClient;
  };
  return { made, createClient, latest, current };
}

/** Another "node" beside the API's: its own leases, bus, ingest and clients. */
interface TestNode {
  accounts: WhatsappAccounts;
  fakes: ReturnType<typeof fakeClients>;
  close(): Promise<void>;
}

describe('WhatsApp accounts through the API', () => {
  let t: TestDatabase;
  let api: RunningApi;
  let call: ReturnType<typeof client>;
  const nodeA = fakeClients();
  let ws = '';
  const token: Record<'owner' | 'agnes' | 'bert' | 'other', string> = {
    owner: '',
    agnes: '',
    bert: '',
    other: '',
  };
  let otherWs = '';
  let channelId = '';
  let annaChat = '';

  const status = async () =>
    (await call('GET', `/v1/workspaces/${ws}/channels/${channelId}`, { token: token.agnes })).body
      .channel.status as string;
  const chats = async () =>
    (await call('GET', `/v1/workspaces/${ws}/chats?limit=200`, { token: token.agnes })).body
      .items as Array<{ id: string; externalId: string; contact: { name: string } }>;
  const messages = async (chatId: string) =>
    (await call('GET', `/v1/workspaces/${ws}/chats/${chatId}/messages`, { token: token.agnes }))
      .body.items as Array<{ id: string; text: string; direction: string; status: string }>;
  const reply = async (chatId: string, body: string) => {
    const res = await call('POST', `/v1/workspaces/${ws}/chats/${chatId}/messages`, {
      token: token.agnes,
      body: { text: body },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.message.id as string;
  };
  const messageStatus = async (chatId: string, id: string) =>
    (await messages(chatId)).find((m) => m.id === id)?.status;

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startApi(t, {
      whatsapp: { createClient: nodeA.createClient, sendAttempts: 3, sendBackoffMs: 100 },
    });
    call = client(api.base);
    const org = await call('POST', '/v1/organizations', {
      token: api.platformToken,
      body: { name: 'Acme', workspace: { name: 'W' }, owner: { email: 'o@wa.test', name: 'Olga' } },
    });
    ws = org.body.workspace.id;
    token.owner = org.body.token;
    for (const key of ['agnes', 'bert'] as const) {
      const invite = await call('POST', `/v1/workspaces/${ws}/invitations`, {
        token: token.owner,
        body: { email: `${key}@wa.test`, name: key, role: 'agent' },
      });
      const accepted = await call('POST', '/v1/invitations/accept', {
        body: { token: invite.body.invitation.token },
      });
      token[key] = accepted.body.token;
    }
    const other = await call('POST', '/v1/organizations', {
      token: api.platformToken,
      body: { name: 'Globex', workspace: { name: 'G' }, owner: { email: 'g@wa.test', name: 'G' } },
    });
    otherWs = other.body.workspace.id;
    token.other = other.body.token;
  });
  afterAll(async () => {
    await api?.close();
    await t?.drop();
  });

  it('connect by QR: qr_pending, the QR on GET .../qr and on the stream of whoever may connect it; ready → connected, QR cleared', async () => {
    const path = `/v1/workspaces/${ws}/events`;
    const agnes = await openStream(api.base, path, token.agnes);
    const bert = await openStream(api.base, path, token.bert);
    const owner = await openStream(api.base, path, token.owner);
    for (const s of [agnes, bert, owner])
      await expect.poll(() => s.events.some((e) => e.event === 'ready')).toBe(true);

    const created = await call('POST', `/v1/workspaces/${ws}/channels`, {
      token: token.agnes,
      body: { type: 'whatsapp', name: 'Agnes phone' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.channel).toMatchObject({
      type: 'whatsapp',
      status: 'qr_pending',
      settings: { groups: false, excludedContacts: [] },
    });
    expect(created.body.channel.inbound).toBeUndefined();
    channelId = created.body.channel.id;

    const fake = await nodeA.current(channelId); // started at once, not at the next reconcile
    expect(fake.calls).toEqual(['initialize']);
    fake.emit('qr', '2@scan-me,1');
    await expect
      .poll(
        async () =>
          (
            await call('GET', `/v1/workspaces/${ws}/channels/${channelId}/qr`, {
              token: token.agnes,
            })
          ).body,
      )
      .toEqual({ status: 'qr_pending', qr: '2@scan-me,1' });
    const isQr = (e: { event: string; data: any }) =>
      e.event === 'channel.status' && e.data.qr === '2@scan-me,1';
    await expect
      .poll(() => agnes.events.find(isQr)?.data)
      .toEqual({
        type: 'channel.status',
        channelId,
        status: 'qr_pending',
        qr: '2@scan-me,1',
      });
    await expect.poll(() => owner.events.some(isQr)).toBe(true); // the Owner may connect any account
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(bert.events.filter((e) => e.event !== 'ready')).toEqual([]); // an Agent who does not own it

    // Neither another Agent nor another workspace learns it exists.
    for (const [asToken, inWs] of [
      [token.bert, ws],
      [token.other, otherWs],
    ] as const)
      expect(
        (await call('GET', `/v1/workspaces/${inWs}/channels/${channelId}/qr`, { token: asToken }))
          .status,
      ).toBe(404);
    expect(
      (await call('GET', `/v1/workspaces/${ws}/channels`, { token: token.bert })).body.items,
    ).toEqual([]);

    fake.emit('authenticated');
    fake.emit('ready');
    await expect.poll(status).toBe('connected');
    expect(
      (await call('GET', `/v1/workspaces/${ws}/channels/${channelId}/qr`, { token: token.agnes }))
        .body,
    ).toEqual({ status: 'connected' });
    await expect
      .poll(() =>
        agnes.events.some(
          (e) => e.event === 'channel.status' && e.data.status === 'connected' && !('qr' in e.data),
        ),
      )
      .toBe(true);
    for (const s of [agnes, bert, owner]) s.close();
  });

  it('ingests direct chats; groups only once enabled; an excluded contact never; a message typed on the phone is stored as sent', async () => {
    const receiver = await startReceiver();
    const hook = await call('POST', `/v1/workspaces/${ws}/webhooks`, {
      token: token.owner,
      body: { url: receiver.url, events: ['*'] },
    });
    expect(hook.status).toBe(201);
    const fake = await nodeA.current(channelId);
    fake.receive(messageOf(text('Wo ist mein Paket?', { id: 'IN1' })));
    fake.receive(messageOf(text('hi all', { chat: GROUP, author: BEN, id: 'G1' })));
    fake.receive(messageOf(text('marker one', { chat: BEN, id: 'B1' })));
    await expect
      .poll(async () => (await chats()).map((c) => c.externalId).sort())
      .toEqual([ANNA, BEN].sort());
    annaChat = (await chats()).find((c) => c.externalId === ANNA)?.id ?? '';
    expect(await messages(annaChat)).toMatchObject([
      { text: 'Wo ist mein Paket?', direction: 'in' },
    ]);

    const patch = (settings: object, asToken = token.agnes) =>
      call('PATCH', `/v1/workspaces/${ws}/channels/${channelId}`, {
        token: asToken,
        body: { settings },
      });
    expect((await patch({ excludedContacts: ['not a phone'] })).status).toBe(422);
    const national = await patch({ excludedContacts: ['0176 55555555'] });
    expect(national.status).toBe(422);
    expect(JSON.stringify(national.body)).toContain('national number');
    expect((await patch({ groups: true }, token.bert)).status).toBe(404);
    const patched = await patch({ groups: true, excludedContacts: ['+49 176 55555555'] });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.channel.settings).toEqual({
      groups: true,
      excludedContacts: ['+4917655555555'],
    });

    fake.receive(messageOf(text('hi again', { chat: GROUP, author: BEN, id: 'G2' })));
    fake.receive(messageOf(text('still private', { chat: CARL, id: 'C2' })));
    fake.receive(
      messageOf(text('Typed on the phone', { fromMe: true, id: 'PHONE1', t: 1718000100 })),
    );
    fake.receive(messageOf(text('marker two', { chat: BEN, id: 'B2' })));
    await expect
      .poll(async () => (await chats()).map((c) => c.externalId).sort())
      .toEqual([ANNA, BEN, GROUP].sort());
    await expect
      .poll(async () => (await messages(annaChat)).map((m) => [m.text, m.direction, m.status]))
      .toEqual([
        ['Typed on the phone', 'out', 'sent'],
        ['Wo ist mein Paket?', 'in', 'received'],
      ]);
    const list = await chats();
    expect(list.find((c) => c.externalId === ANNA)?.contact.name).toBe('Anna Schmidt'); // not renamed
    const group = list.find((c) => c.externalId === GROUP);
    expect((await messages(group?.id ?? '')).map((m) => m.text)).toEqual(['hi again']);
    // Message webhooks went out; the channel's status changes were never offered to them.
    await expect.poll(() => receiver.received.length).toBeGreaterThan(0);
    expect(receiver.received.some((r) => r.body.includes('channel.status'))).toBe(false);
    await receiver.close();
  });

  it('a reply goes out through the client with WhatsApp’s id; later acks move it to delivered, then read', async () => {
    const fake = await nodeA.current(channelId);
    const id = await reply(annaChat, 'Ist unterwegs!');
    await vi.waitFor(
      () => expect(fake.sent.map((s) => [s.chatId, s.content])).toEqual([[ANNA, 'Ist unterwegs!']]),
      { timeout: 10_000 },
    );
    await expect.poll(() => messageStatus(annaChat, id)).toBe('sent');
    const stored = await t.db
      .selectFrom('messages')
      .select('provider_message_id')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const sent = fake.sent[0]?.message;
    expect(stored.provider_message_id).toBe(sent?.id._serialized);
    fake.emit('message_ack', sent, 2);
    await expect.poll(() => messageStatus(annaChat, id)).toBe('delivered');
    fake.emit('message_ack', sent, 3);
    fake.emit('message_ack', sent, 2); // late and out of order: no step back
    await expect.poll(() => messageStatus(annaChat, id)).toBe('read');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await messageStatus(annaChat, id)).toBe('read');
  });

  describe('several nodes', () => {
    const nodes: TestNode[] = [];
    /** Another "node": its own leases, bus, ingest and clients, the same database and queues. */
    async function startNode(name: string) {
      const fakes = fakeClients(QuickAckClient);
      const leases = createPostgresLeases({
        connectionString: t.url,
        applicationName: `lease-${name}`,
        heartbeatMs: 300,
      });
      const bus = await createEventBus(t.db, t.url);
      const ingest = createIngestPipeline(t.db);
      const replies = whatsappReplies({
        queues: api.queues,
        store: outboundStore(t.db),
        accountStopped: (id) => isAccountStopped(t.db, id),
        attempts: 3,
        backoffMs: 100,
      });
      const accounts = new WhatsappAccounts({
        db: t.db,
        leases,
        ingest,
        events: bus,
        createClient: fakes.createClient,
        companion: replies.companion,
        log: silent,
        leaseRetryMs: 50,
        reconcileEveryMs: 200,
        restartDelayMs: null,
      });
      accounts.start();
      let closing: Promise<void> | undefined;
      const node: TestNode = {
        accounts,
        fakes,
        close: () =>
          (closing ??= (async () => {
            await accounts.close();
            await leases.close();
            await ingest.close();
            await bus.close();
          })()),
      };
      nodes.push(node);
      return node;
    }
    afterAll(async () => {
      for (const node of nodes) await node.close();
    });

    it('a second node waits while the first holds the account, and takes it over (session, replies) when the first stops', async () => {
      const b = await startNode('b');
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(b.fakes.latest(channelId)).toBeUndefined();
      expect(b.accounts.isRunning(channelId)).toBe(false);
      expect(api.whatsapp?.isRunning(channelId)).toBe(true);

      await api.whatsapp?.close(); // node A shuts down while holding: the account shows disconnected
      expect(await status()).toBe('disconnected');
      const fake = await b.fakes.current(channelId);
      expect(nodeA.latest(channelId)?.calls.at(-1)).toBe('destroy'); // node A's client is closed
      fake.emit('ready');
      await expect.poll(status).toBe('connected');
      const id = await reply(annaChat, 'from node b');
      await vi.waitFor(() => expect(fake.sent.map((s) => s.content)).toEqual(['from node b']), {
        timeout: 10_000,
      });
      // Its ack came before WhatsApp's id was stored on the message, and still counts.
      await expect.poll(() => messageStatus(annaChat, id)).toBe('delivered');
    });

    it('a node that lost the lease writes no status when it stops: the new holder’s stands', async () => {
      const b = nodes[0] as TestNode;
      const c = await startNode('c');
      // b's lease connection dies. b and c both retry every 50 ms, so b may win the lease back
      // first (seen on a busy machine): take it from b again until c holds it.
      await vi.waitFor(
        async () => {
          if (!c.fakes.latest(channelId))
            await sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'lease-b'`.execute(
              t.db,
            );
          expect(c.fakes.latest(channelId)).toBeDefined();
        },
        { timeout: 20_000, interval: 500 },
      );
      const fake = await c.fakes.current(channelId);
      fake.emit('ready');
      await vi.waitFor(() => expect(c.accounts.isRunning(channelId)).toBe(true), {
        timeout: 10_000,
      });
      await b.close();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await status()).toBe('connected');
    });

    it('while not connected a reply fails after its retries; once logged out the account stops everywhere and replies fail at once', async () => {
      const c = nodes.at(-1) as TestNode;
      const fake = c.fakes.latest(channelId) as FakeClient;
      fake.emit('disconnected', 'NAVIGATION');
      await expect.poll(status).toBe('disconnected');
      const late = await reply(annaChat, 'nobody is connected');
      await expect.poll(() => messageStatus(annaChat, late), { timeout: 15_000 }).toBe('failed');
      expect(fake.sent).toEqual([]);

      fake.emit('disconnected', 'LOGOUT');
      await expect.poll(status).toBe('logged_out');
      await vi.waitFor(() => expect(c.accounts.isRunning(channelId)).toBe(false), {
        timeout: 10_000,
      });
      const never = await reply(annaChat, 'after logout');
      await expect.poll(() => messageStatus(annaChat, never), { timeout: 15_000 }).toBe('failed');
    });
  });
});

describe('WhatsApp accounts without a browser', () => {
  let t: TestDatabase;
  afterAll(() => t?.drop());

  it('an account that cannot start shows disconnected, and the log says why, once', async () => {
    t = await createTestDatabase();
    for (const statement of [
      sql`insert into organizations (id, name) values ('org_nb', 'Org')`,
      sql`insert into workspaces (id, organization_id, name, integration_secret) values ('ws_nb', 'org_nb', 'W', 's')`,
      sql`insert into channel_accounts (id, workspace_id, type, name, owner_type, status) values ('ch_nb', 'ws_nb', 'whatsapp', 'WA', 'workspace', 'qr_pending')`,
    ])
      await statement.execute(t.db);
    const warnings: string[] = [];
    const leases = createPostgresLeases({ connectionString: t.url });
    const bus = await createEventBus(t.db, t.url);
    const ingest = createIngestPipeline(t.db);
    const accounts = new WhatsappAccounts({
      db: t.db,
      leases,
      ingest,
      events: bus,
      leaseRetryMs: 50,
      createClient: () => {
        throw new AppError(
          'unavailable',
          'no Chromium: /usr/bin/chromium does not exist and CHROMIUM_PATH is not set',
        );
      },
      log: { ...silent, warn: (_details, message) => void warnings.push(message) },
    });
    accounts.start();
    try {
      await expect
        .poll(
          async () =>
            (
              await t.db
                .selectFrom('channel_accounts')
                .select('status')
                .where('id', '=', 'ch_nb')
                .executeTakeFirstOrThrow()
            ).status,
        )
        .toBe('disconnected');
      await new Promise((resolve) => setTimeout(resolve, 300)); // several more tries
      expect(warnings.filter((w) => w.includes('no Chromium'))).toHaveLength(1);
      // Why, for those who may connect it: the reason's words, not the operator's paths.
      expect(
        (
          await t.db
            .selectFrom('channel_accounts')
            .select('status_detail')
            .where('id', '=', 'ch_nb')
            .executeTakeFirstOrThrow()
        ).status_detail,
      ).toBe('failed to start: no Chromium: … does not exist and CHROMIUM_PATH is not set');
    } finally {
      await accounts.close();
      await leases.close();
      await ingest.close();
      await bus.close();
    }
  });
});

describe('WhatsApp accounts: disable and reconnect through the API', () => {
  let t: TestDatabase;
  let api: RunningApi;
  const node = fakeClients();
  afterAll(async () => {
    await api?.close();
    await t?.drop();
  });

  it('disable stops the account and keeps it stopped; reconnect starts it again, with a new QR after a logout', async () => {
    t = await createTestDatabase();
    api = await startApi(t, { whatsapp: { createClient: node.createClient } });
    const call = client(api.base);
    const org = await call('POST', '/v1/organizations', {
      token: api.platformToken,
      body: { name: 'D', workspace: { name: 'W' }, owner: { email: 'o@d.test', name: 'O' } },
    });
    const ws = org.body.workspace.id as string;
    const owner = org.body.token as string;
    const invite = await call('POST', `/v1/workspaces/${ws}/invitations`, {
      token: owner,
      body: { email: 'a@d.test', name: 'A', role: 'agent' },
    });
    const agent = (
      await call('POST', '/v1/invitations/accept', {
        body: { token: invite.body.invitation.token },
      })
    ).body.token as string;
    const created = await call('POST', `/v1/workspaces/${ws}/channels`, {
      token: owner,
      body: { type: 'whatsapp', name: 'Front desk', owner: { type: 'workspace' } },
    });
    const id = created.body.channel.id as string;
    const base = `/v1/workspaces/${ws}/channels/${id}`;
    const status = async () =>
      (await call('GET', base, { token: owner })).body.channel.status as string;
    const running = () => api.whatsapp?.isRunning(id) ?? false;

    (await node.current(id)).emit('ready');
    await expect.poll(status, { timeout: 10_000 }).toBe('connected');
    // The account is held once the node's reconcile pass has taken its lease (it failed CI
    // once under load with the default 1 s).
    await expect.poll(running, { timeout: 10_000 }).toBe(true);

    // An Agent may neither stop nor restart an account HQ owns.
    expect((await call('POST', `${base}/disable`, { token: agent })).status).toBe(404);

    const disabled = await call('POST', `${base}/disable`, { token: owner });
    expect(disabled.status).toBe(200);
    expect(disabled.body.channel.status).toBe('disabled');
    await expect.poll(running, { timeout: 10_000 }).toBe(false);
    // `running` turns false as the stop begins; the client is destroyed as it ends.
    const stopped = await node.current(id);
    await vi.waitFor(() => expect(stopped.calls).toContain('destroy'), { timeout: 10_000 });
    expect(await status()).toBe('disabled');

    const clientsBefore = node.made.get(id)?.length ?? 0;
    const again = await call('POST', `${base}/reconnect`, { token: owner });
    expect(again.status).toBe(200);
    expect(again.body.channel.status).toBe('qr_pending');
    await vi.waitFor(() => expect(node.made.get(id)?.length).toBe(clientsBefore + 1), {
      timeout: 10_000,
    });
    expect((await call('POST', `${base}/reconnect`, { token: owner })).status).toBe(409);

    // Logged out on the phone: the session is gone for WhatsApp, so reconnecting forgets ours.
    await sql`insert into whatsapp_sessions (channel_id, workspace_id, data) values (${id}, ${ws}, '\\x00')`.execute(
      t.db,
    );
    const fake = await node.current(id);
    fake.emit('ready');
    await expect.poll(status).toBe('connected');
    fake.emit('disconnected', 'LOGOUT');
    await expect.poll(status).toBe('logged_out');
    await expect.poll(running, { timeout: 10_000 }).toBe(false);
    expect((await call('POST', `${base}/reconnect`, { token: owner })).status).toBe(200);
    const sessions = await t.db
      .selectFrom('whatsapp_sessions')
      .select('channel_id')
      .where('channel_id', '=', id)
      .execute();
    expect(sessions).toEqual([]);
    await expect.poll(running, { timeout: 10_000 }).toBe(true);
  });
});

describe('WhatsApp accounts: why an account is down', () => {
  let t: TestDatabase;
  let api: RunningApi;
  const node = fakeClients();
  /** Accounts whose clients cannot start, and why (as puppeteer words a page that fails). */
  const failing = new Map<string, Error>();
  const createClient: WhatsappClientFactory = (account) => {
    const fake = node.createClient(account) as FakeClient;
    fake.initializeError = failing.get(account.channelId);
    return fake;
  };
  afterAll(async () => {
    await api?.close();
    await t?.drop();
  });

  it('a client that cannot start: GET …/qr and the stream say why (once); reconnecting clears it, a disconnect says its reason', async () => {
    t = await createTestDatabase();
    api = await startApi(t, { whatsapp: { createClient } });
    const call = client(api.base);
    const org = await call('POST', '/v1/organizations', {
      token: api.platformToken,
      body: { name: 'R', workspace: { name: 'W' }, owner: { email: 'o@r.test', name: 'O' } },
    });
    const ws = org.body.workspace.id as string;
    const owner = org.body.token as string;
    const stream = await openStream(api.base, `/v1/workspaces/${ws}/events`, owner);
    await expect.poll(() => stream.events.some((e) => e.event === 'ready')).toBe(true);

    const id = 'ch_down';
    failing.set(
      id,
      // A second line (a browser's output, a session folder) is not shown.
      new Error(
        'net::ERR_NAME_NOT_RESOLVED at https://web.whatsapp.com/\n' +
          'profile: /var/lib/switchboard/whatsapp/RemoteAuth-ch_down',
      ),
    );
    await sql`insert into channel_accounts (id, workspace_id, type, name, owner_type, status) values (${id}, ${ws}, 'whatsapp', 'Front desk', 'workspace', 'qr_pending')`.execute(
      t.db,
    );
    api.whatsapp?.accountChanged(id);
    const base = `/v1/workspaces/${ws}/channels/${id}`;
    const qr = async () => (await call('GET', `${base}/qr`, { token: owner })).body;
    const detail = 'failed to start: net::ERR_NAME_NOT_RESOLVED at https://web.whatsapp.com/';
    await expect.poll(qr, { timeout: 10_000 }).toEqual({ status: 'disconnected', detail });
    const said = () =>
      stream.events.filter((e) => e.event === 'channel.status' && e.data.channelId === id);
    await expect
      .poll(() => said().at(-1)?.data)
      .toEqual({
        type: 'channel.status',
        channelId: id,
        status: 'disconnected',
        detail,
      });
    // Tried again and again (every 100 ms), failing the same way: nothing new to announce.
    await vi.waitFor(() => expect(node.made.get(id)?.length).toBeGreaterThanOrEqual(3), {
      timeout: 10_000,
    });
    expect(said()).toHaveLength(1);
    // The channel's own JSON does not carry it.
    expect((await call('GET', base, { token: owner })).body.channel).not.toHaveProperty('detail');

    // It starts again: the reason is forgotten (the account waits for its client to speak).
    failing.delete(id);
    await vi.waitFor(
      () => {
        expect(node.latest(id)?.initializeError).toBeUndefined();
        expect(api.whatsapp?.isRunning(id)).toBe(true);
      },
      { timeout: 10_000 },
    );
    await expect.poll(qr).toEqual({ status: 'disconnected' });
    const fake = node.latest(id) as FakeClient;
    fake.emit('qr', '2@scan,1');
    await expect.poll(qr).toEqual({ status: 'qr_pending', qr: '2@scan,1' });
    fake.emit('ready');
    await expect.poll(qr).toEqual({ status: 'connected' });

    // A disconnect says WhatsApp's reason, on GET …/qr and the stream; reconnecting clears it.
    fake.emit('disconnected', 'NAVIGATION');
    await expect.poll(qr).toEqual({ status: 'disconnected', detail: 'NAVIGATION' });
    await expect
      .poll(() => said().at(-1)?.data)
      .toEqual({
        type: 'channel.status',
        channelId: id,
        status: 'disconnected',
        detail: 'NAVIGATION',
      });
    const again = await call('POST', `${base}/reconnect`, { token: owner });
    expect(again.status).toBe(200);
    expect(again.body.channel.status).toBe('qr_pending');
    expect(await qr()).toEqual({ status: 'qr_pending' });
    fake.emit('qr', '2@again,1');
    await expect.poll(qr).toEqual({ status: 'qr_pending', qr: '2@again,1' });
    fake.emit('ready');
    await expect.poll(qr).toEqual({ status: 'connected' });
    stream.close();
  });
});
