import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/schema.js';
import { upgradableFrom, type AckRecord, type EditRecord, type RevokeRecord } from './acks.js';

/**
 * Applies acks, edits and revocations to stored messages of one channel account. Each is a
 * single conditional UPDATE, so replays and out-of-order events change nothing they should
 * not: an older ack never downgrades a status, an older edit never overwrites a newer one, a
 * second revocation keeps the first time. A message that was never stored (an excluded chat,
 * or an event that overtook its message) is not created: the result says `false`.
 */
type Db = Kysely<DB> | Transaction<DB>;

export async function applyAck(db: Db, channelId: string, ack: AckRecord): Promise<boolean> {
  const from = upgradableFrom[ack.status];
  if (from.length === 0) return false;
  const result = await db
    .updateTable('messages')
    .set({ status: ack.status })
    .where('channel_id', '=', channelId)
    .where('provider_message_id', '=', ack.providerMessageId)
    .where('status', 'in', from)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function recordEdit(db: Db, channelId: string, edit: EditRecord): Promise<boolean> {
  const result = await db
    .updateTable('messages')
    .set({ text: edit.text, edited_at: edit.editedAt })
    .where('channel_id', '=', channelId)
    .where('provider_message_id', '=', edit.providerMessageId)
    .where((eb) => eb.or([eb('edited_at', 'is', null), eb('edited_at', '<=', edit.editedAt)]))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function recordRevoke(
  db: Db,
  channelId: string,
  revoke: RevokeRecord,
): Promise<boolean> {
  const result = await db
    .updateTable('messages')
    .set({ revoked_at: revoke.revokedAt })
    .where('channel_id', '=', channelId)
    .where('provider_message_id', '=', revoke.providerMessageId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
