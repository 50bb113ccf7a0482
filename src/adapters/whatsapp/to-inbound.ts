import type { Message } from 'whatsapp-web.js';
import { z } from 'zod';
import type { InboundMessage } from '../../core/chats/inbound-message.js';
import { phoneOrNull } from '../../core/contacts/phone.js';
import { isConversationJid, parseJid, type Jid } from './jid.js';

/**
 * Turns one whatsapp-web.js `Message` into the core's `InboundMessage` plus what WhatsApp
 * adds (group or direct, the author inside a group, media metadata, our own message). It
 * never throws and never downloads media: a message it cannot understand comes back as
 * `rejected` with a reason, one it must not ingest (status updates, broadcast lists,
 * channels, system notices) as `ignored`.
 */
/** 9999-12-31T23:59:59Z in seconds. */
const MAX_TIMESTAMP_S = 253_402_300_799;

export interface WhatsappMedia {
  /** The WhatsApp message type: image, video, audio, ptt, document, sticker. */
  type: string;
  mimetype: string | null;
  filename: string | null;
  size: number | null;
  /** False when WhatsApp no longer offers the file (no direct path): metadata only. */
  available: boolean;
}

export interface WhatsappInbound extends InboundMessage {
  isGroup: boolean;
  /** Who wrote it (the author inside a group, the contact in a direct chat); null if we did. */
  sender: string | null;
  senderName: string | null;
  /** Sent from this account (from the phone, or an echo of our own send). */
  fromMe: boolean;
  /** The WhatsApp message type (`chat`, `image`, `location`…). */
  messageType: string;
  media: WhatsappMedia | null;
}

export type SkipReason =
  | 'not_a_message'
  | 'missing_id'
  | 'malformed_jid'
  | 'unknown_type'
  | 'malformed_timestamp'
  | 'missing_author'
  | 'status_broadcast'
  | 'broadcast_list'
  | 'newsletter'
  | 'system_message';

export type ToInboundResult =
  | { ok: true; message: WhatsappInbound }
  | {
      ok: false;
      /** `rejected`: malformed, worth a warning; `ignored`: deliberately not ingested. */
      outcome: 'rejected' | 'ignored';
      reason: SkipReason;
      providerMessageId: string | null;
    };

/**
 * What the account knows beyond the message: for a direct chat the contact (e.g. from
 * `getContact()`, which knows a `@lid` contact's phone), for a group the group's name.
 */
export interface ContactHint {
  name?: string | null;
  phone?: string | null;
}

export interface AccountRef {
  workspaceId: string;
  channelId: string;
}

const mediaTypes = new Set(['image', 'video', 'audio', 'ptt', 'document', 'sticker']);
/** Content whose text is the message body (whatsapp-web.js fills it from body, poll or event name). */
const bodyTypes = new Set([
  'chat',
  'poll_creation',
  'scheduled_event_creation',
  'list',
  'list_response',
  'buttons_response',
  'template_button_reply',
  'interactive',
  'native_flow',
  'hsm',
  'groups_v4_invite',
  'order',
  'product',
  'payment',
]);
/** Types that carry no conversation content. */
const systemTypes = new Set([
  'album',
  'revoked',
  'ciphertext',
  'e2e_notification',
  'gp2',
  'notification',
  'notification_template',
  'group_notification',
  'protocol',
  'reaction',
  'call_log',
  'broadcast_notification',
  'debug',
  'oversized',
]);

const MAX_TEXT = 64 * 1024;

const idSchema = z.object({
  _serialized: z.string().min(1).max(300),
  id: z.string().min(1).max(200),
  fromMe: z.boolean(),
  remote: z.unknown(),
});

const optionalText = (v: unknown, max: number): string | null =>
  typeof v === 'string' && v.trim() !== '' ? v.slice(0, max) : null;
const finiteNumber = (v: unknown): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? v : null;

/** The fields of the raw data (`message.rawData`) the library does not lift onto `Message`. */
function readRaw(data: Record<string, unknown>) {
  return {
    notifyName: optionalText(data.notifyName, 200),
    caption: optionalText(data.caption, MAX_TEXT),
    mimetype: optionalText(data.mimetype, 255),
    filename: optionalText(data.filename, 1000),
    size:
      Number.isSafeInteger(data.size) && (data.size as number) >= 0 ? (data.size as number) : null,
    loc: optionalText(data.loc, 1000),
    lat: finiteNumber(data.lat),
    lng: finiteNumber(data.lng),
    vcardList: data.vcardList,
  };
}

export function toInbound(
  message: Message,
  account: AccountRef,
  hint: ContactHint = {},
): ToInboundResult {
  try {
    return map(message, account, hint);
  } catch {
    // A getter of a broken object threw: still a rejection, never a crash.
    return { ok: false, outcome: 'rejected', reason: 'not_a_message', providerMessageId: null };
  }
}

function map(message: Message, account: AccountRef, hint: ContactHint): ToInboundResult {
  const skip = (
    outcome: 'rejected' | 'ignored',
    reason: SkipReason,
    providerMessageId: string | null = null,
  ): ToInboundResult => ({ ok: false, outcome, reason, providerMessageId });

  if (typeof message !== 'object' || message === null) return skip('rejected', 'not_a_message');
  const id = idSchema.safeParse(message.id);
  if (!id.success) return skip('rejected', 'missing_id');
  const providerMessageId = id.data._serialized;
  const fromMe = id.data.fromMe;

  const chat = parseJid(id.data.remote ?? (fromMe ? message.to : message.from));
  if (!chat) return skip('rejected', 'malformed_jid', providerMessageId);
  if (chat.kind === 'status' || message.isStatus === true)
    return skip('ignored', 'status_broadcast', providerMessageId);
  if (chat.kind === 'broadcast_list') return skip('ignored', 'broadcast_list', providerMessageId);
  if (chat.kind === 'newsletter') return skip('ignored', 'newsletter', providerMessageId);
  if (!isConversationJid(chat)) return skip('rejected', 'malformed_jid', providerMessageId);

  const type: unknown = message.type;
  if (typeof type !== 'string') return skip('rejected', 'unknown_type', providerMessageId);
  if (systemTypes.has(type)) return skip('ignored', 'system_message', providerMessageId);
  const isMedia = mediaTypes.has(type);
  if (!isMedia && !bodyTypes.has(type) && !['location', 'vcard', 'multi_vcard'].includes(type))
    return skip('rejected', 'unknown_type', providerMessageId);

  const t: unknown = message.timestamp;
  // Seconds since 1970, and a date JavaScript (and PostgreSQL) can hold: at most year 9999.
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || t <= 0 || t > MAX_TIMESTAMP_S)
    return skip('rejected', 'malformed_timestamp', providerMessageId);

  const isGroup = chat.kind === 'group';
  let sender: Jid | null = null;
  if (!fromMe && !isGroup) sender = chat;
  if (!fromMe && isGroup) {
    sender = parseJid(message.author);
    if (sender === null || !isConversationJid(sender) || sender.kind === 'group')
      return skip(
        'rejected',
        message.author ? 'malformed_jid' : 'missing_author',
        providerMessageId,
      );
  }

  const raw = readRaw(isRecord(message.rawData) ? message.rawData : {});
  const senderName = fromMe ? null : raw.notifyName;
  const body = typeof message.body === 'string' ? message.body : '';
  const text = (isMedia ? (raw.caption ?? '') : textOf(type, body, raw)).slice(0, MAX_TEXT);

  const hintName = typeof hint.name === 'string' && hint.name.trim() ? hint.name.trim() : null;
  // E.164: the lookup's phone (a @lid hides it from the id), else the number in a @c.us id.
  const phone = isGroup ? null : (phoneOrNull(hint.phone) ?? chat.phone);
  const name = isGroup
    ? (hintName ?? `WhatsApp group ${chat.user}`)
    : (hintName ?? senderName ?? phone ?? chat.user);

  return {
    ok: true,
    message: {
      workspaceId: account.workspaceId,
      channelId: account.channelId,
      externalChatId: chat.serialized,
      providerMessageId,
      contact: { name: name.slice(0, 200), phone, email: null },
      text,
      sentAt: new Date(t * 1000),
      isGroup,
      sender: sender?.serialized ?? null,
      senderName,
      fromMe,
      messageType: type,
      media: isMedia
        ? {
            type,
            mimetype: raw.mimetype,
            filename: raw.filename,
            size: raw.size,
            available: message.hasMedia === true,
          }
        : null,
    },
  };
}

function textOf(type: string, body: string, raw: ReturnType<typeof readRaw>): string {
  if (type === 'location') {
    if (raw.loc) return raw.loc.replace(/\n/g, ', ');
    return raw.lat !== null && raw.lng !== null ? `${raw.lat},${raw.lng}` : '';
  }
  if (type === 'vcard') return contactCardNames([body]);
  if (type === 'multi_vcard') {
    const cards = Array.isArray(raw.vcardList)
      ? raw.vcardList.map((c) => (isRecord(c) && typeof c.vcard === 'string' ? c.vcard : ''))
      : [];
    return contactCardNames(cards);
  }
  return body;
}

/** A contact card reads as the names it carries, not as the vCard text. */
function contactCardNames(cards: string[]): string {
  const names = cards
    .map((card) => /^FN[^:\n]*:(.*)$/m.exec(card)?.[1]?.trim() ?? '')
    .filter((n) => n !== '');
  return names.length ? `Contact card: ${names.join(', ')}` : 'Contact card';
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
