import { z } from 'zod';
import { normalizePhone } from '../../core/contacts/phone.js';
import { AppError, issueDetails } from '../../core/errors.js';
import { parseJid } from './jid.js';
import type { WhatsappInbound } from './to-inbound.js';

/**
 * Personal-chat protection (issue 6): a WhatsApp number is often someone's own phone, so by
 * default only direct chats are ingested, and the owner can list contacts whose chats are
 * never ingested at all. These settings live in `channel_accounts.settings` beside other keys.
 */

/** A contact to exclude: a phone number in any usual notation, or a WhatsApp id. */
const contactRef = z
  .string()
  .trim()
  .min(1)
  .max(120)
  .transform((value, ctx) => {
    if (value.includes('@')) {
      const jid = parseJid(value);
      if (jid) return jid.serialized;
      ctx.addIssue({ code: 'custom', message: 'must be a phone number or a WhatsApp id' });
      return z.NEVER;
    }
    const phone = normalizePhone(value);
    if (phone.ok) return phone.phone;
    ctx.addIssue({
      code: 'custom',
      message: `must be a phone number or a WhatsApp id; as a phone number it ${phone.message}`,
    });
    return z.NEVER;
  });

export const whatsappSettingsSchema = z.looseObject({
  /** Group chats are ingested only when the owner turns them on. */
  groups: z.boolean().default(false),
  /**
   * Phones (E.164, `+4930123456`) or ids (`…@c.us`, `…@lid`, `…@g.us`) whose chats are never
   * ingested.
   */
  excludedContacts: z
    .array(contactRef)
    .max(5000)
    .default([])
    .transform((list) => [...new Set(list)]),
});

export type WhatsappSettings = z.output<typeof whatsappSettingsSchema>;

export const defaultWhatsappSettings: WhatsappSettings = whatsappSettingsSchema.parse({});

/** Reads `channel_accounts.settings`; malformed settings are an `invalid_input` AppError. */
export function parseWhatsappSettings(json: unknown): WhatsappSettings {
  const parsed = whatsappSettingsSchema.safeParse(json ?? {});
  if (parsed.success) return parsed.data;
  throw new AppError('invalid_input', 'The WhatsApp settings of this channel are malformed.', {
    cause: parsed.error,
    details: issueDetails(parsed.error.issues),
  });
}

export type IngestDecision =
  { ingest: true } | { ingest: false; reason: 'group_chats_disabled' | 'excluded_contact' };

/**
 * Whether a mapped message may be ingested. A chat is excluded when its id, or the phone of
 * its contact, is on the list; for a group the group's own id counts (listing a person does
 * not hide the groups they write in).
 */
export function shouldIngest(
  settings: Pick<WhatsappSettings, 'groups' | 'excludedContacts'>,
  message: Pick<WhatsappInbound, 'isGroup' | 'externalChatId' | 'contact'>,
): IngestDecision {
  if (message.isGroup && !settings.groups) return { ingest: false, reason: 'group_chats_disabled' };
  const excluded = new Set(settings.excludedContacts);
  const chat = parseJid(message.externalChatId);
  const keys = [
    message.externalChatId.toLowerCase(),
    chat?.serialized,
    chat?.phone,
    message.isGroup ? null : message.contact.phone,
  ];
  if (keys.some((key) => key && excluded.has(key)))
    return { ingest: false, reason: 'excluded_contact' };
  return { ingest: true };
}
