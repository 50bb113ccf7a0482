import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ingestMessage } from '../../../src/adapters/db/ingest.js';
import {
  applyAck,
  recordEdit,
  recordRevoke,
} from '../../../src/adapters/whatsapp/message-updates.js';
import {
  defaultWhatsappSettings,
  parseWhatsappSettings,
  type WhatsappSettings,
} from '../../../src/adapters/whatsapp/settings.js';
import type { WhatsappInbound } from '../../../src/adapters/whatsapp/to-inbound.js';
import {
  WhatsappChannel,
  type WhatsappChannelCallbacks,
  type WhatsappChannelOptions,
  type WhatsappStatus,
} from '../../../src/adapters/whatsapp/whatsapp-channel.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { FakeClient } from './fixtures/fake-client.js';
import { ANNA, BEN, GROUP, LID, image, messageOf, raw, text } from './fixtures/messages.js';

const account = { workspaceId: 'ws_wa', channelId: 'ch_wa' };

/** A runner over fake clients, recording every callback. */
function setup(
  options: {
    settings?: () => WhatsappSettings | Promise<WhatsappSettings>;
    callbacks?: Partial<WhatsappChannelCallbacks>;
    restartDelayMs?: number | null;
    lookupContact?: WhatsappChannelOptions['lookupContact'];
    onClient?: (client: FakeClient, index: number) => void;
  } = {},
) {
  const clients: FakeClient[] = [];
  const log = {
    statuses: [] as [WhatsappStatus, string | null][],
    qrs: [] as string[],
    inbound: [] as WhatsappInbound[],
    acks: [] as [string, string][],
    revokes: [] as unknown[],
    edits: [] as unknown[],
    skipped: [] as unknown[],
    errors: [] as [unknown, string][],
  };
  const channel = new WhatsappChannel({
    account,
    createClient: () => {
      const client = new FakeClient();
      options.onClient?.(client, clients.length);
      clients.push(client);
      return client;
    },
    settings: options.settings ?? (() => defaultWhatsappSettings),
    restartDelayMs: options.restartDelayMs ?? null,
    lookupContact: options.lookupContact,
    now: () => new Date('2024-06-10T12:00:00Z'),
    callbacks: {
      onQr: (qr) => void log.qrs.push(qr),
      onStatus: (status, detail) => void log.statuses.push([status, detail]),
      onInbound: (m) => void log.inbound.push(m),
      onAck: (id, status) => void log.acks.push([id, status]),
      onRevoke: (r) => void log.revokes.push(r),
      onEdit: (e) => void log.edits.push(e),
      onSkipped: (s) => void log.skipped.push(s),
      onError: (error, context) => void log.errors.push([error, context.event]),
      ...options.callbacks,
    },
  });
  const client = () => {
    const last = clients.at(-1);
    if (!last) throw new Error('no client yet');
    return last;
  };
  return { channel, clients, client, log };
}

async function connected(s: ReturnType<typeof setup>) {
  await s.channel.start();
  s.client().emit('qr', '2@abc,def,ghi,1');
  s.client().emit('authenticated');
  s.client().emit('ready');
  await s.channel.idle();
}

describe('WhatsappChannel: one account around a whatsapp-web.js client', () => {
  it('status moves qr_pending → connected → disconnected; the QR code is passed on', async () => {
    const s = setup();
    await s.channel.start();
    expect(s.client().calls).toEqual(['initialize']);
    s.client().emit('qr', '2@first');
    s.client().emit('qr', '2@second');
    s.client().emit('authenticated');
    s.client().emit('ready');
    s.client().emit('disconnected', 'NAVIGATION');
    await s.channel.idle();
    expect(s.log.qrs).toEqual(['2@first', '2@second']);
    expect(s.log.statuses).toEqual([
      ['qr_pending', null],
      ['connected', null],
      ['disconnected', 'NAVIGATION'],
    ]);
    expect(s.channel.status).toBe('disconnected');
  });

  it('a logout on the phone makes it logged_out; a failed session restore too', async () => {
    const s = setup();
    await connected(s);
    s.client().emit('disconnected', 'LOGOUT');
    await s.channel.idle();
    expect(s.log.statuses.at(-1)).toEqual(['logged_out', 'LOGOUT']);

    const t = setup();
    await t.channel.start();
    t.client().emit('auth_failure', 'restore failed');
    await t.channel.idle();
    expect(t.channel.status).toBe('logged_out');
    expect(t.log.errors).toHaveLength(1);
  });

  it('after a disconnect (not a logout) a new client is started', async () => {
    const s = setup({ restartDelayMs: 10 });
    await connected(s);
    s.client().emit('disconnected', 'CONFLICT');
    await vi.waitFor(() => expect(s.clients).toHaveLength(2));
    await s.channel.idle();
    expect(s.clients[0]?.calls).toEqual(['initialize', 'destroy']);
    expect(s.clients[1]?.calls).toEqual(['initialize']);
    // Events of the replaced client are no longer heard.
    s.clients[0]?.receive(messageOf(text('late')));
    s.client().emit('ready');
    await s.channel.idle();
    expect(s.log.inbound).toEqual([]);
    expect(s.channel.status).toBe('connected');
    await s.channel.stop();
  });

  it('stop during a restart also closes the client the restart is starting', async () => {
    const s = setup({
      restartDelayMs: 10,
      onClient: (client, index) => void (client.initializeDelayMs = index === 1 ? 100 : 0),
    });
    await connected(s);
    s.client().emit('disconnected', 'TIMEOUT');
    await vi.waitFor(() => expect(s.clients).toHaveLength(2));
    await s.channel.stop();
    expect(s.clients[1]?.calls).toEqual(['initialize', 'destroy']);
  });

  it('a client that fails to start: unavailable, status disconnected, browser closed', async () => {
    const s = setup();
    const failing = new FakeClient();
    failing.initializeError = new Error('Failed to launch the browser process');
    const channel = new WhatsappChannel({
      account,
      createClient: () => failing,
      settings: () => defaultWhatsappSettings,
      callbacks: {
        onInbound: () => undefined,
        onStatus: (st) => void s.log.statuses.push([st, null]),
      },
    });
    await expect(channel.start()).rejects.toMatchObject({ code: 'unavailable' });
    expect(failing.calls).toEqual(['initialize', 'destroy']);
    expect(channel.status).toBe('disconnected');
  });

  it('inbound: a direct message is mapped and passed on once (message_create + message)', async () => {
    const s = setup();
    await connected(s);
    s.client().receive(messageOf(text('Wo ist mein Paket?', { id: 'IN1' })));
    s.client().receive(messageOf(image('Foto vom Karton', { id: 'IN2' })));
    await s.channel.idle();
    expect(s.log.inbound.map((m) => [m.providerMessageId, m.text, m.media?.type ?? null])).toEqual([
      [`false_${ANNA}_IN1`, 'Wo ist mein Paket?', null],
      [`false_${ANNA}_IN2`, 'Foto vom Karton', 'image'],
    ]);
  });

  it('personal-chat protection: groups off by default, excluded contacts never passed on', async () => {
    let settings = defaultWhatsappSettings;
    const s = setup({ settings: () => settings });
    await connected(s);
    s.client().receive(messageOf(text('hi all', { chat: GROUP, author: BEN, id: 'G1' })));
    await s.channel.idle();
    // Settings are read for every message: a change applies to the next one.
    settings = parseWhatsappSettings({ groups: true, excludedContacts: ['+49 170 1234567'] });
    s.client().receive(messageOf(text('hi again', { chat: GROUP, author: BEN, id: 'G2' })));
    s.client().receive(messageOf(text('private', { id: 'P1' })));
    s.client().receive(messageOf(text('business', { chat: BEN, id: 'B1' })));
    await s.channel.idle();
    expect(s.log.inbound.map((m) => m.text)).toEqual(['hi again', 'business']);
    expect(s.log.skipped).toEqual([
      {
        providerMessageId: `false_${GROUP}_G1_${BEN}`,
        outcome: 'ignored',
        reason: 'group_chats_disabled',
      },
      { providerMessageId: `false_${ANNA}_P1`, outcome: 'ignored', reason: 'excluded_contact' },
    ]);
  });

  it('the contact lookup gives a @lid chat its phone (so exclusion by phone works); groups are not looked up', async () => {
    const looked: string[] = [];
    const s = setup({
      settings: () => parseWhatsappSettings({ groups: true, excludedContacts: ['4915112345678'] }),
      lookupContact: (message) => {
        looked.push(message.id._serialized);
        return Promise.resolve({ name: 'Ben Müller', phone: '4915112345678' });
      },
    });
    await connected(s);
    s.client().receive(messageOf(text('hi', { chat: LID, id: 'L1' })));
    s.client().receive(messageOf(text('hi all', { chat: GROUP, author: ANNA, id: 'G1' })));
    await s.channel.idle();
    expect(looked).toEqual([`false_${LID}_L1`]);
    expect(s.log.skipped).toMatchObject([{ reason: 'excluded_contact' }]);
    expect(s.log.inbound.map((m) => m.contact.name)).toEqual(['WhatsApp group 120363025246125486']);
  });

  it('settings that cannot be read: nothing is ingested (fails closed) and the error is reported', async () => {
    const s = setup({
      settings: () => {
        throw new Error('settings unreadable');
      },
    });
    await connected(s);
    s.client().receive(messageOf(text('hello')));
    await s.channel.idle();
    expect(s.log.inbound).toEqual([]);
    expect(s.log.errors.map(([, event]) => event)).toEqual(['message']);
  });

  it('malformed messages and status updates are skipped with their reason', async () => {
    const s = setup();
    await connected(s);
    s.client().receive(messageOf(raw('brand_new_type', { id: 'X1' })));
    s.client().receive(
      messageOf(text('my status', { chat: 'status@broadcast', author: ANNA, id: 'S1' })),
    );
    s.client().emit('message', { not: 'a message' });
    await s.channel.idle();
    expect(s.log.skipped).toEqual([
      { providerMessageId: `false_${ANNA}_X1`, outcome: 'rejected', reason: 'unknown_type' },
      {
        providerMessageId: 'false_status@broadcast_S1',
        outcome: 'ignored',
        reason: 'status_broadcast',
      },
      { providerMessageId: null, outcome: 'rejected', reason: 'missing_id' },
    ]);
    expect(s.log.inbound).toEqual([]);
  });

  it('send returns the WhatsApp message id; its echo is not taken for a new message, one typed on the phone is', async () => {
    const s = setup();
    await connected(s);
    const id = await s.channel.send(ANNA, 'Ist unterwegs!');
    expect(id).toBe(s.client().sent[0]?.message.id._serialized);
    expect(s.client().sent[0]?.chatId).toBe(ANNA);
    s.client().receive(messageOf(text('Typed on the phone', { fromMe: true, id: 'PHONE1' })));
    await s.channel.idle();
    expect(s.log.inbound.map((m) => [m.text, m.fromMe])).toEqual([['Typed on the phone', true]]);
  });

  it('send refuses when not connected, a bad chat id, an empty text; a failed send is unavailable', async () => {
    const s = setup();
    await s.channel.start();
    await expect(s.channel.send(ANNA, 'x')).rejects.toMatchObject({ code: 'unavailable' });
    s.client().emit('ready');
    await s.channel.idle();
    await expect(s.channel.send('not-a-jid', 'x')).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(s.channel.send('status@broadcast', 'x')).rejects.toMatchObject({
      code: 'invalid_input',
    });
    await expect(s.channel.send(ANNA, '   ')).rejects.toMatchObject({ code: 'invalid_input' });
    s.client().sendError = new Error('Evaluation failed: WidFactory');
    await expect(s.channel.send(ANNA, 'x')).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('acks, revocations and edits are passed on; an edit in an excluded chat is not', async () => {
    const s = setup({ settings: () => parseWhatsappSettings({ excludedContacts: [BEN] }) });
    await connected(s);
    const sent = messageOf(text('Ist unterwegs', { fromMe: true, id: 'OUT1' }));
    s.client().emit('message_ack', sent, 2);
    s.client().emit('message_ack', sent, 99);
    const stub = messageOf({ ...text('', { id: 'IN9' }), type: 'revoked' });
    s.client().emit('message_revoke_everyone', stub, undefined);
    s.client().emit('message_edit', messageOf(text('neu', { id: 'IN8' })), 'neu', 'alt');
    s.client().emit(
      'message_edit',
      messageOf(text('privat neu', { chat: BEN, id: 'B8' })),
      'privat neu',
      'privat',
    );
    await s.channel.idle();
    expect(s.log.acks).toEqual([[`true_${ANNA}_OUT1`, 'delivered']]);
    expect(s.log.revokes).toEqual([
      { providerMessageId: `false_${ANNA}_IN9`, revokedAt: new Date('2024-06-10T12:00:00Z') },
    ]);
    expect(s.log.edits).toEqual([
      {
        providerMessageId: `false_${ANNA}_IN8`,
        text: 'neu',
        previousText: 'alt',
        editedAt: new Date('2024-06-10T12:00:00Z'),
      },
    ]);
  });

  it('a failing callback is reported and the next events still run, in order; a failing onError too', async () => {
    const order: string[] = [];
    const s = setup({
      callbacks: {
        onInbound: async (m) => {
          await new Promise((resolve) => setTimeout(resolve, 20)); // slow store
          order.push(`inbound ${m.text}`);
          if (m.text === 'boom') throw new Error('database down');
        },
        onEdit: (e) => void order.push(`edit ${e.text}`),
        onError: () => {
          order.push('error');
          throw new Error('the error handler fails too');
        },
      },
    });
    await connected(s);
    s.client().receive(messageOf(text('boom', { id: 'E1' })));
    s.client().emit('message_edit', messageOf(text('boom!', { id: 'E1' })), 'boom!', 'boom');
    s.client().receive(messageOf(text('after', { id: 'E2' })));
    s.client().emit('error', new Error('protocol error'));
    await s.channel.idle();
    expect(order).toEqual(['inbound boom', 'error', 'edit boom!', 'inbound after', 'error']);
  });

  it('stop destroys the client and hears nothing more; logout logs out and reports logged_out', async () => {
    const s = setup();
    await connected(s);
    const first = s.client();
    await s.channel.stop();
    expect(first.calls).toEqual(['initialize', 'destroy']);
    first.receive(messageOf(text('after stop')));
    await s.channel.idle();
    expect(s.log.inbound).toEqual([]);
    await expect(s.channel.start()).rejects.toMatchObject({ code: 'conflict' });

    const t = setup();
    await connected(t);
    await t.channel.logout();
    expect(t.client().calls).toEqual(['initialize', 'logout', 'destroy']);
    expect(t.log.statuses.at(-1)).toEqual(['logged_out', 'logout']);
  });
});

describe('WhatsappChannel wired to the database (ingest, acks, edits, revocations)', () => {
  let t: TestDatabase;
  const ws = 'ws_wa';
  beforeAll(async () => {
    t = await createTestDatabase();
    for (const statement of [
      sql`insert into organizations (id, name) values ('org_wa', 'Org')`,
      sql`insert into workspaces (id, organization_id, name, integration_secret) values (${ws}, 'org_wa', 'W', 's')`,
      sql`insert into channel_accounts (id, workspace_id, type, name, owner_type, status) values ('ch_wa', ${ws}, 'whatsapp', 'WA', 'workspace', 'qr_pending')`,
    ])
      await statement.execute(t.db);
  });
  afterAll(() => t?.drop());

  it('a message delivered twice is stored once; acks move the reply forward only; edits and revocations land', async () => {
    const s = setup({
      callbacks: {
        onInbound: async (m) => void (await ingestMessage(t.db, m)),
        onAck: async (providerMessageId, status) =>
          void (await applyAck(t.db, 'ch_wa', { providerMessageId, status })),
        onEdit: async (e) => void (await recordEdit(t.db, 'ch_wa', e)),
        onRevoke: async (r) => void (await recordRevoke(t.db, 'ch_wa', r)),
      },
    });
    await connected(s);
    const incoming = text('Wo ist mein Paket?', { id: 'DB1' });
    s.client().receive(messageOf(incoming));
    s.client().receive(messageOf(incoming)); // WhatsApp Web replays it after a reconnect
    await s.channel.idle();
    const chat = await t.db
      .selectFrom('chats')
      .selectAll()
      .where('external_id', '=', ANNA)
      .executeTakeFirstOrThrow();
    expect(chat.last_message_preview).toBe('Wo ist mein Paket?');
    const messages = () =>
      t.db
        .selectFrom('messages')
        .selectAll()
        .where('chat_id', '=', chat.id)
        .orderBy('sent_at')
        .execute();
    expect(await messages()).toHaveLength(1);

    // The reply: the caller records it with the id send() returns, then acks arrive out of order.
    const providerId = await s.channel.send(ANNA, 'Ist unterwegs!');
    await sql`insert into messages (id, workspace_id, chat_id, channel_id, provider_message_id, direction, text, status, sent_at)
      values ('msg_reply', ${ws}, ${chat.id}, 'ch_wa', ${providerId}, 'out', 'Ist unterwegs!', 'pending', now())`.execute(
      t.db,
    );
    const reply = s.client().sent[0]!.message;
    for (const ack of [1, 3, 2]) s.client().emit('message_ack', reply, ack);
    s.client().emit(
      'message_edit',
      messageOf(incoming),
      'Wo ist mein Paket? (Nr. 4711)',
      'Wo ist mein Paket?',
    );
    s.client().emit(
      'message_revoke_everyone',
      messageOf({ ...incoming, type: 'revoked' }),
      undefined,
    );
    await s.channel.idle();
    expect(s.log.errors).toEqual([]);

    const [stored, replied] = await messages();
    expect(replied).toMatchObject({ provider_message_id: providerId, status: 'read' });
    expect(stored).toMatchObject({
      text: 'Wo ist mein Paket? (Nr. 4711)',
      edited_at: new Date('2024-06-10T12:00:00Z'),
      revoked_at: new Date('2024-06-10T12:00:00Z'),
    });
  });
});
