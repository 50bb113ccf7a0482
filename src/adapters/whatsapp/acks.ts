import type { Message } from 'whatsapp-web.js';
import type { MessageStatus } from '../db/tables/chats.table.js';

/**
 * Delivery acks, edits and revocations of WhatsApp messages.
 *
 * whatsapp-web.js reports acks as numbers (`MessageAck` in its Constants.js): -1 error,
 * 0 pending, 1 server, 2 device, 3 read, 4 played. Acks can arrive late and out of order,
 * so a status only ever moves forward; `upgradableFrom` is the one definition of "forward"
 * that both the pure merge and the SQL update use.
 */
export type OutboundStatus = Exclude<MessageStatus, 'received'>;

const ackStatus = new Map<number, OutboundStatus>([
  [-1, 'failed'],
  [0, 'pending'],
  [1, 'sent'],
  [2, 'delivered'],
  [3, 'read'],
  [4, 'read'],
]);

/** Our status for a whatsapp-web.js ack value; undefined for a value the library never sends. */
export function statusFromAck(ack: unknown): OutboundStatus | undefined {
  return typeof ack === 'number' ? ackStatus.get(ack) : undefined;
}

/**
 * The statuses each status may replace. `failed` only replaces `pending` (a later success,
 * e.g. after a resend, replaces `failed`); nothing replaces `read`; `received` (inbound) is
 * never touched by an ack.
 */
export const upgradableFrom = {
  pending: [],
  failed: ['pending'],
  sent: ['pending', 'failed'],
  delivered: ['pending', 'failed', 'sent'],
  read: ['pending', 'failed', 'sent', 'delivered'],
} as const satisfies Record<OutboundStatus, readonly OutboundStatus[]>;

export function mergeStatus(current: MessageStatus, incoming: OutboundStatus): MessageStatus {
  const from: readonly MessageStatus[] = upgradableFrom[incoming];
  return from.includes(current) ? incoming : current;
}

export interface AckRecord {
  providerMessageId: string;
  status: OutboundStatus;
}

export interface EditRecord {
  providerMessageId: string;
  text: string;
  /** The text before the edit, as whatsapp-web.js reports it (may be empty). */
  previousText: string;
  editedAt: Date;
}

export interface RevokeRecord {
  providerMessageId: string;
  revokedAt: Date;
}

const serializedId = (message: unknown): string | null => {
  const id = (message as { id?: unknown } | null | undefined)?.id;
  const value = (id as { _serialized?: unknown } | null | undefined)?._serialized;
  return typeof value === 'string' && value.length > 0 && value.length <= 300 ? value : null;
};

/** The record of a `message_ack(message, ack)` event, or null when it is malformed. */
export function toAckRecord(message: Message, ack: unknown): AckRecord | null {
  const providerMessageId = serializedId(message);
  const status = statusFromAck(ack ?? message?.ack);
  return providerMessageId && status ? { providerMessageId, status } : null;
}

/** The record of a `message_edit(message, newBody, prevBody)` event. */
export function toEditRecord(
  message: Message,
  newBody: unknown,
  prevBody: unknown,
  now: Date,
): EditRecord | null {
  const providerMessageId = serializedId(message);
  if (!providerMessageId) return null;
  const text = typeof newBody === 'string' ? newBody : String(message.body ?? '');
  const at = message.latestEditSenderTimestampMs;
  return {
    providerMessageId,
    text,
    previousText: typeof prevBody === 'string' ? prevBody : '',
    editedAt: typeof at === 'number' && Number.isFinite(at) && at > 0 ? new Date(at) : now,
  };
}

/**
 * The record of a `message_revoke_everyone(message, revokedMsg)` event. `message` is the
 * revoked message in its current state (same id as the original); `revokedMsg`, when the
 * library caught it, is the original, whose id it sets from the protocol message key.
 */
export function toRevokeRecord(
  message: Message,
  revokedMsg: Message | null | undefined,
  now: Date,
): RevokeRecord | null {
  const providerMessageId = serializedId(revokedMsg) ?? serializedId(message);
  return providerMessageId ? { providerMessageId, revokedAt: now } : null;
}
