import { sql } from 'kysely';
import type { ChatFacts } from '../../core/access/index.js';
import type { ChatEvent } from '../../core/events/events.js';
import type { ChatEventView } from '../present/event.js';
import type { ChatContact, MessageView } from '../present/message.js';
import { loadChatFacts } from './access/load-access.js';
import { decodeCursor, encodeCursor } from './access/list-visible-chats.js';
import { chatItem, chatItems } from './chat-stores.js';
import type { ChatReads } from '../../core/chats/chat-reads.js';
import { countVisibleChats } from './access/count-chats.js';
import { listVisibleChats } from './access/list-visible-chats.js';
import type { Database } from './database.js';

/**
 * Read models of chats: what the chat routes, the event stream and webhooks show, read in
 * one place. Nothing here decides access; callers do that with the facts first.
 */

/** The port of the read use cases (`listChats`, `countChats`, `viewChat`, `readHistory`). */
export function chatReads(db: Database): ChatReads<HistoryPage, unknown> {
  return {
    visibleChats: (actor, page) => listVisibleChats(db, actor, page),
    counts: (actor) => countVisibleChats(db, actor),
    summaries: (workspaceId, chatIds) => chatItems(db, workspaceId, chatIds),
    routing: (workspaceId, chatId) => chatRouting(db, workspaceId, chatId),
    history: (chat, page) => chatHistory(db, chat, page),
  };
}

/** Why the chat was routed where it was, as stored (the presenter checks its shape). */
export async function chatRouting(db: Database, workspaceId: string, chatId: string) {
  const row = await db
    .selectFrom('chats')
    .select('routing')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', chatId)
    .executeTakeFirst();
  return row?.routing ?? null;
}

export interface HistoryPage {
  items: MessageView[];
  nextCursor: string | null;
  /** The chat's contact: their identifiers are masked in the messages too. */
  contact?: ChatContact;
}

/** A chat's messages, newest first, `limit` at a time. */
export async function chatHistory(
  db: Database,
  chat: Pick<ChatFacts, 'workspaceId' | 'id'>,
  page: { limit: number; cursor?: string | undefined },
): Promise<HistoryPage> {
  const { limit, cursor } = page;
  let query = db
    .selectFrom('messages')
    .select(['id', 'direction', 'text', 'author_user_id', 'channel_id', 'sent_at', 'status'])
    .select(
      sql<string>`to_char(sent_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as(
        'cursor_at',
      ),
    )
    .where('workspace_id', '=', chat.workspaceId)
    .where('chat_id', '=', chat.id);
  if (cursor) {
    const c = decodeCursor(cursor);
    query = query.where(sql<boolean>`(sent_at, id) < (${c.at}::timestamptz, ${c.id})`);
  }
  const [rows, contact] = await Promise.all([
    query
      .orderBy('sent_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute(),
    db
      .selectFrom('contacts as ct')
      .innerJoin('chats as c', 'c.contact_id', 'ct.id')
      .select(['ct.phone', 'ct.email'])
      .where('c.workspace_id', '=', chat.workspaceId)
      .where('c.id', '=', chat.id)
      .executeTakeFirst(),
  ]);
  const last = rows[limit - 1];
  return {
    items: rows.slice(0, limit).map(messageView),
    nextCursor:
      rows.length > limit && last ? encodeCursor({ at: last.cursor_at, id: last.id }) : null,
    ...(contact ? { contact } : {}),
  };
}

/** One message of the workspace. */
export async function messageById(
  db: Database,
  workspaceId: string,
  messageId: string,
): Promise<MessageView | undefined> {
  const row = await db
    .selectFrom('messages')
    .select(['id', 'direction', 'text', 'author_user_id', 'channel_id', 'sent_at', 'status'])
    .where('id', '=', messageId)
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  return row && messageView(row);
}

function messageView(row: {
  id: string;
  direction: 'in' | 'out';
  text: string;
  author_user_id: string | null;
  channel_id: string;
  sent_at: Date;
  status: string;
}): MessageView {
  return {
    id: row.id,
    direction: row.direction,
    text: row.text,
    authorUserId: row.author_user_id,
    channelId: row.channel_id,
    sentAt: row.sent_at,
    status: row.status,
  };
}

/**
 * What a chat event shows (the chat as in the list, and the message for `message.created` and
 * `message.status_changed`),
 * loaded once per event. Undefined for a chat or message that is gone.
 */
export async function loadChatEventView(
  db: Database,
  event: ChatEvent,
): Promise<ChatEventView | undefined> {
  const [facts] = await loadChatFacts(db, event.workspaceId, [event.chatId]);
  if (!facts) return undefined;
  const chat = await chatItem(db, event.workspaceId, event.chatId);
  if (event.type !== 'message.created' && event.type !== 'message.status_changed')
    return { event, facts, chat };
  const message = await messageById(db, event.workspaceId, event.messageId);
  return message && { event, facts, chat, message };
}

/** Users by id, by name: who a list of principals is, as the API shows people. */
export async function usersByName(db: Database, userIds: readonly string[]) {
  if (userIds.length === 0) return [];
  return db
    .selectFrom('users')
    .select(['id', 'email', 'name'])
    .where('id', 'in', [...userIds])
    .orderBy('name')
    .execute();
}
