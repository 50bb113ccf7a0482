import { z } from 'zod';
import { redact, type Principal, type RedactContext } from '../../core/access/index.js';
import type { ChatSummary } from '../../core/chats/chat-summary.js';

/** A chat as every output shows it: REST replies, the event stream, webhooks (shared/API.md). */
export const chatSchema = z.object({
  id: z.string(),
  channelId: z.string(),
  externalId: z.string(),
  contact: z.object({
    id: z.string(),
    name: z.string(),
    phone: z.string().nullable(),
    email: z.string().nullable(),
  }),
  assignee: z.object({ type: z.enum(['user', 'team']), id: z.string() }).nullable(),
  lastMessageAt: z.string(),
  lastMessagePreview: z.string(),
});
export type ChatJson = z.infer<typeof chatSchema>;

/** What routing decided for a new chat, and why (stored with the chat). */
export const routingSchema = z.object({
  at: z.string(),
  rule: z.object({ id: z.string(), name: z.string() }).nullable(),
  target: z.object({ type: z.enum(['user', 'team']), id: z.string() }).nullable(),
  strategy: z.enum(['round_robin', 'least_open', 'sticky']).nullable(),
  reasons: z.array(z.string()),
});
export type RoutingJson = z.infer<typeof routingSchema>;

export const chatDetailSchema = chatSchema.extend({
  routing: routingSchema.nullable(),
  /** The members who joined the chat beside its assignee (user ids). */
  participants: z.array(z.string()),
});

/** The chat's JSON before redaction; only presenters call it (they redact what they return). */
export function chatJson(c: ChatSummary): ChatJson {
  return {
    id: c.id,
    channelId: c.channelId,
    externalId: c.externalId,
    contact: { ...c.contact },
    assignee: c.assignee
      ? {
          type: c.assignee.type,
          id: c.assignee.type === 'user' ? c.assignee.userId : c.assignee.teamId,
        }
      : null,
    lastMessageAt: c.lastMessageAt.toISOString(),
    lastMessagePreview: c.lastMessagePreview,
  };
}

/** The contact's identifiers: masked wherever they appear (messages, previews), not only in their fields. */
export function contactIdentifiers(contact: {
  phone: string | null;
  email: string | null;
}): RedactContext {
  return { phones: [contact.phone], emails: [contact.email] };
}

/** One chat for `principal`, redacted for them. */
export function presentChat(principal: Principal, chat: ChatSummary): ChatJson {
  return redact(principal, chatJson(chat), contactIdentifiers(chat.contact));
}

/**
 * A page of chats for `principal`, redacted as one payload: a contact's number quoted in
 * another chat's preview is masked there too.
 */
export function presentChatPage(
  principal: Principal,
  page: { items: readonly ChatSummary[]; nextCursor: string | null },
): { items: ChatJson[]; nextCursor: string | null } {
  return redact(principal, { items: page.items.map(chatJson), nextCursor: page.nextCursor });
}

/** One chat with why it was routed where it was; a stored explanation of another shape is null. */
export function presentChatDetail(
  principal: Principal,
  chat: ChatSummary,
  routing: unknown,
  participantIds: readonly string[],
): z.infer<typeof chatDetailSchema> {
  const parsed = routingSchema.safeParse(routing);
  return redact(
    principal,
    {
      ...chatJson(chat),
      routing: parsed.success ? parsed.data : null,
      participants: [...participantIds],
    },
    contactIdentifiers(chat.contact),
  );
}
