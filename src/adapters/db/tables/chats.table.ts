import type { CreatedAt, Generated, Json, Timestamp } from './common.js';

export interface ChatsTable {
  id: string;
  workspace_id: string;
  channel_id: string;
  /** The provider's id of the conversation (a WhatsApp jid, a webhook chatId). */
  external_id: string;
  contact_id: string;
  status: Generated<'open' | 'closed'>;
  is_group: Generated<boolean>;
  last_message_at: Timestamp;
  last_message_preview: Generated<string>;
  /** Why the router put the chat where it is (explainable routing). */
  routing: Json<Record<string, unknown>> | null;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

/**
 * Who a chat is assigned to: one row per chat, created with it (by a trigger on chats), apart
 * from the wide chats row so that reassigning thousands of chats writes little (migration 0007).
 */
export interface ChatAssignmentsTable {
  chat_id: string;
  workspace_id: string;
  /** The chat's channel account (never changes; set by the database with the row). */
  channel_id: string;
  /** At most one of the two is set; neither: unassigned (HQ's queue). */
  user_id: string | null;
  team_id: string | null;
  /** The user the chat was last assigned to, for sticky routing. */
  last_user_id: string | null;
  /** A copy of chats.last_message_at, kept by the database; never written by the application. */
  last_message_at: Timestamp;
}

/** Chats and unassigned chats per channel account, kept by the database (migration 0009). */
export interface ChannelChatCountsTable {
  channel_id: string;
  workspace_id: string;
  chats: string;
  unassigned: string;
}

/** Chats assigned to a user ('u') or a team ('t') per channel account, kept by the database. */
export interface AssignedChatCountsTable {
  workspace_id: string;
  assignee_kind: 'u' | 't';
  assignee_id: string;
  channel_id: string;
  chats: string;
}

/** Per broad scope: chats assigned into its assignees on accounts it does not own (0010). */
export interface ScopeCountsTable {
  id: string;
  workspace_id: string;
  assigned_elsewhere: Generated<string>;
  ready: Generated<boolean>;
  used_at: Generated<Date>;
}

export interface ScopeCountSubjectsTable {
  scope_id: string;
  /** 'a': an assignee of the scope; 'o': an owner of accounts in it. */
  role: 'a' | 'o';
  /** 'u:<user id>' or 't:<team id>'. */
  subject: string;
}

export interface ChatParticipantsTable {
  workspace_id: string;
  chat_id: string;
  user_id: string;
  added_by: string | null;
  created_at: CreatedAt;
  /** The chat's, kept by the database (migration 0011): never written by the application. */
  last_message_at: Generated<Date>;
}

export type MessageStatus = 'received' | 'pending' | 'sent' | 'delivered' | 'read' | 'failed';

export interface MessagesTable {
  id: string;
  workspace_id: string;
  chat_id: string;
  channel_id: string;
  /** The provider's message id: (channel_id, provider_message_id) is unique, so ingest is idempotent. */
  provider_message_id: string;
  direction: 'in' | 'out';
  text: string;
  author_user_id: string | null;
  /** Sender inside a group chat (provider id), when it is not the contact. */
  sender_external_id: string | null;
  media: Json<Record<string, unknown>> | null;
  status: MessageStatus;
  sent_at: Timestamp;
  edited_at: Timestamp | null;
  /** The sender deleted it on the provider; the text is kept. */
  revoked_at: Timestamp | null;
  created_at: CreatedAt;
}

export interface RatingsTable {
  id: string;
  workspace_id: string;
  chat_id: string;
  user_id: string;
  score: number;
  comment: string | null;
  created_at: CreatedAt;
}

/** CRM precedence (PRODUCT.md §3.5): a confirmed CRM link lets a user read one chat's history. */
export interface CrmGrantsTable {
  workspace_id: string;
  chat_id: string;
  user_id: string;
  crm_record: string;
  expires_at: Timestamp | null;
  created_at: CreatedAt;
}
