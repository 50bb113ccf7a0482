import type { ChatFacts, RedactContext } from '../../core/access/index.js';
import { isChatEvent, type SwitchboardEvent } from '../../core/events/events.js';
import { loadChatFacts } from '../db/access/load-access.js';
import type { Database } from '../db/database.js';
import { chatItem, chatJson } from './routes/chats.js';

/**
 * What a chat event shows (the chat as in the list, and the message for message.created),
 * loaded once per event; each receiver (stream, webhook) filters and redacts it for itself.
 */
export interface EventPayload {
  chat: ChatFacts;
  body: Record<string, unknown>;
  identifiers: RedactContext;
}

/** Undefined for an event that is not about a chat (access, channel status) or a chat gone. */
export async function loadEventPayload(
  db: Database,
  event: SwitchboardEvent,
): Promise<EventPayload | undefined> {
  if (!isChatEvent(event)) return undefined;
  const [chat] = await loadChatFacts(db, event.workspaceId, [event.chatId]);
  if (!chat) return undefined;
  const item = chatJson(await chatItem(db, event.workspaceId, event.chatId));
  let message: Record<string, unknown> | undefined;
  if (event.type === 'message.created') {
    const row = await db
      .selectFrom('messages')
      .select(['id', 'direction', 'text', 'author_user_id', 'channel_id', 'sent_at', 'status'])
      .where('id', '=', event.messageId)
      .where('workspace_id', '=', event.workspaceId)
      .executeTakeFirst();
    if (!row) return undefined;
    message = {
      id: row.id,
      direction: row.direction,
      text: row.text,
      ...(row.author_user_id ? { authorUserId: row.author_user_id } : {}),
      channelId: row.channel_id,
      sentAt: row.sent_at.toISOString(),
      status: row.status,
    };
  }
  return {
    chat,
    body: { type: event.type, chatId: event.chatId, chat: item, ...(message ? { message } : {}) },
    identifiers: { phones: [item.contact.phone], emails: [item.contact.email] },
  };
}
