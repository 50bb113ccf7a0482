import { z } from 'zod';
import { redact, type Principal } from '../../core/access/index.js';
import { contactIdentifiers } from './chat.js';

/** A message as every output shows it (shared/API.md). */
export const messageSchema = z.object({
  id: z.string(),
  direction: z.enum(['in', 'out']),
  text: z.string(),
  authorUserId: z.string().optional(),
  channelId: z.string(),
  sentAt: z.string(),
  status: z.string(),
});
export type MessageJson = z.infer<typeof messageSchema>;

/** A stored message, as the read models and the reply use case return it. */
export interface MessageView {
  id: string;
  direction: 'in' | 'out';
  text: string;
  /** The member who wrote a reply; absent (or null) for the contact's messages. */
  authorUserId?: string | null;
  channelId: string;
  sentAt: Date;
  status: string;
}

/** The contact of the chat a message belongs to: its identifiers are masked in the text too. */
export interface ChatContact {
  phone: string | null;
  email: string | null;
}

/** The message's JSON before redaction; only presenters call it. */
export function messageJson(m: MessageView): MessageJson {
  return {
    id: m.id,
    direction: m.direction,
    text: m.text,
    ...(m.authorUserId ? { authorUserId: m.authorUserId } : {}),
    channelId: m.channelId,
    sentAt: m.sentAt.toISOString(),
    status: m.status,
  };
}

/** One message for `principal`, redacted for them (with the chat's contact identifiers). */
export function presentMessage(
  principal: Principal,
  message: MessageView,
  contact: ChatContact | undefined,
): MessageJson {
  return redact(principal, messageJson(message), contact && contactIdentifiers(contact));
}

/** A page of a chat's history for `principal`, redacted for them. */
export function presentHistory(
  principal: Principal,
  history: { items: readonly MessageView[]; nextCursor: string | null; contact?: ChatContact },
): { items: MessageJson[]; nextCursor: string | null } {
  return redact(
    principal,
    { items: history.items.map(messageJson), nextCursor: history.nextCursor },
    history.contact && contactIdentifiers(history.contact),
  );
}
