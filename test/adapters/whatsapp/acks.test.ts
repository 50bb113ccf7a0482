import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  mergeStatus,
  statusFromAck,
  toAckRecord,
  toEditRecord,
  toRevokeRecord,
  type OutboundStatus,
} from '../../../src/adapters/whatsapp/acks.js';
import {
  applyAck,
  recordEdit,
  recordRevoke,
} from '../../../src/adapters/whatsapp/message-updates.js';
import type { MessageStatus } from '../../../src/adapters/db/tables/chats.table.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { ANNA, messageOf, text } from './fixtures/messages.js';

const outbound: OutboundStatus[] = ['pending', 'failed', 'sent', 'delivered', 'read'];
const all: MessageStatus[] = ['received', ...outbound];

describe('acks → message status', () => {
  it('maps whatsapp-web.js MessageAck values (Constants.js) to our statuses', () => {
    expect([-1, 0, 1, 2, 3, 4].map(statusFromAck)).toEqual([
      'failed',
      'pending',
      'sent',
      'delivered',
      'read',
      'read',
    ]);
    for (const odd of [5, -2, '2', null, undefined, 1.5])
      expect(statusFromAck(odd)).toBeUndefined();
  });

  it('rule: an older ack never downgrades a status, whatever the order acks arrive in (property)', () => {
    const rank = { pending: 0, failed: 0, sent: 1, delivered: 2, read: 3 } as const;
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...outbound), { minLength: 1, maxLength: 12 }),
        (acks) => {
          let status: MessageStatus = 'pending';
          for (const ack of acks) {
            const next = mergeStatus(status, ack);
            if (status !== 'failed' && next !== 'failed')
              expect(rank[next as OutboundStatus]).toBeGreaterThanOrEqual(
                rank[status as OutboundStatus],
              );
            status = next;
          }
          const best = Math.max(...acks.map((a) => rank[a]));
          if (best > 0) expect(rank[status as OutboundStatus]).toBe(best);
        },
      ),
    );
  });

  it('rule: failed replaces only pending; a later success replaces failed; inbound stays received', () => {
    expect(mergeStatus('pending', 'failed')).toBe('failed');
    expect(mergeStatus('sent', 'failed')).toBe('sent');
    expect(mergeStatus('failed', 'delivered')).toBe('delivered');
    for (const s of outbound) expect(mergeStatus('received', s)).toBe('received');
  });

  it('records from real Messages: ack, edit (with its time), revoke (id of the original)', () => {
    const sent = messageOf(text('Ist unterwegs', { fromMe: true, id: 'OUT1' }));
    expect(toAckRecord(sent, 3)).toEqual({
      providerMessageId: `true_${ANNA}_OUT1`,
      status: 'read',
    });
    expect(toAckRecord(sent, 7)).toBeNull();

    const edited = messageOf(
      text('Ist morgen da', { id: 'IN1', latestEditSenderTimestampMs: 1718000500123 }),
    );
    expect(toEditRecord(edited, 'Ist morgen da', 'Ist heute da', new Date(0))).toEqual({
      providerMessageId: `false_${ANNA}_IN1`,
      text: 'Ist morgen da',
      previousText: 'Ist heute da',
      editedAt: new Date(1718000500123),
    });

    const now = new Date('2024-06-10T10:00:00Z');
    const stub = messageOf({ ...text('', { id: 'IN2' }), type: 'revoked' });
    expect(toRevokeRecord(stub, undefined, now)).toEqual({
      providerMessageId: `false_${ANNA}_IN2`,
      revokedAt: now,
    });
    const original = messageOf(text('geheim', { id: 'IN2' }));
    original.id = { ...original.id, _serialized: `false_${ANNA}_ORIG` };
    expect(toRevokeRecord(stub, original, now)?.providerMessageId).toBe(`false_${ANNA}_ORIG`);
  });
});

describe('message updates in PostgreSQL', () => {
  let t: TestDatabase;
  const ws = 'ws_acks';
  const channel = 'ch_acks';
  let seq = 0;

  async function storeMessage(status: MessageStatus, body = 'hello') {
    const providerId = `pm_${++seq}`;
    await sql`insert into messages (id, workspace_id, chat_id, channel_id, provider_message_id, direction, text, status, sent_at)
      values (${`msg_${seq}`}, ${ws}, 'chat_acks', ${channel}, ${providerId}, ${status === 'received' ? 'in' : 'out'}, ${body}, ${status}, now())`.execute(
      t.db,
    );
    return providerId;
  }
  const row = (providerId: string) =>
    t.db
      .selectFrom('messages')
      .selectAll()
      .where('provider_message_id', '=', providerId)
      .executeTakeFirstOrThrow();

  beforeAll(async () => {
    t = await createTestDatabase();
    for (const statement of [
      sql`insert into organizations (id, name) values ('org_acks', 'Org')`,
      sql`insert into workspaces (id, organization_id, name, integration_secret) values (${ws}, 'org_acks', 'W', 's')`,
      sql`insert into channel_accounts (id, workspace_id, type, name, owner_type, status) values (${channel}, ${ws}, 'whatsapp', 'WA', 'workspace', 'connected')`,
      sql`insert into contacts (id, workspace_id, name, phone) values ('ct_acks', ${ws}, 'Anna', '+491701234567')`,
      sql`insert into chats (id, workspace_id, channel_id, external_id, contact_id, last_message_at) values ('chat_acks', ${ws}, ${channel}, ${ANNA}, 'ct_acks', now())`,
    ])
      await statement.execute(t.db);
  });
  afterAll(() => t?.drop());

  it('the SQL update and mergeStatus agree on every (current, incoming) pair', async () => {
    for (const current of all)
      for (const incoming of outbound) {
        const id = await storeMessage(current);
        const changed = await applyAck(t.db, channel, { providerMessageId: id, status: incoming });
        const expected = mergeStatus(current, incoming);
        expect((await row(id)).status, `${current} + ${incoming}`).toBe(expected);
        expect(changed).toBe(expected !== current);
      }
  });

  it('an ack for a message of another channel account, or an unknown one, changes nothing', async () => {
    const id = await storeMessage('sent');
    expect(await applyAck(t.db, 'ch_other', { providerMessageId: id, status: 'read' })).toBe(false);
    expect(await applyAck(t.db, channel, { providerMessageId: 'nope', status: 'read' })).toBe(
      false,
    );
    expect((await row(id)).status).toBe('sent');
  });

  it('an edit is recorded (text and time); an older edit arriving late does not overwrite it', async () => {
    const id = await storeMessage('received', 'Ist heute da');
    const newer = {
      providerMessageId: id,
      text: 'Ist morgen da',
      previousText: 'Ist heute da',
      editedAt: new Date('2024-06-10T10:05:00Z'),
    };
    const older = {
      ...newer,
      text: 'Ist übermorgen da',
      editedAt: new Date('2024-06-10T10:01:00Z'),
    };
    expect(await recordEdit(t.db, channel, newer)).toBe(true);
    expect(await recordEdit(t.db, channel, older)).toBe(false);
    const stored = await row(id);
    expect(stored.text).toBe('Ist morgen da');
    expect(stored.edited_at).toEqual(newer.editedAt);
  });

  it('a revocation is recorded once and the text is kept', async () => {
    const id = await storeMessage('received', 'geheim');
    const first = new Date('2024-06-10T10:00:00Z');
    expect(await recordRevoke(t.db, channel, { providerMessageId: id, revokedAt: first })).toBe(
      true,
    );
    expect(
      await recordRevoke(t.db, channel, { providerMessageId: id, revokedAt: new Date() }),
    ).toBe(false);
    const stored = await row(id);
    expect(stored.revoked_at).toEqual(first);
    expect(stored.text).toBe('geheim');
  });
});
