import type { ChatFacts, ChatListFilter, Principal } from '../access/index.js';
import type { ChatSummary } from './chat-summary.js';

/**
 * What the read use cases (`listChats`, `countChats`, `viewChat`, `readHistory`) read: chats as
 * lists show them, a page of a chat's history, why a chat was routed. The database adapter
 * implements it (`chatReads`); nothing here decides access — the use cases do, with the facts,
 * before they read. `History` and `Routing` are the adapter's shapes, handed to the presenter.
 */
export interface ChatPage {
  items: ChatSummary[];
  nextCursor: string | null;
}

/** The badges of the chat list: what the list would show with each assignee filter. */
export interface ChatCounts {
  /** Assigned to the user. */
  mine: number;
  /** In their scope and assigned to nobody. */
  unassigned: number;
  /** Everything in their scope. */
  all: number;
}

export interface ChatReads<History = unknown, Routing = unknown> {
  /** One page of the chats `actor` may view (the scope is the principal's), newest first. */
  visibleChats(
    actor: Principal,
    page: { limit: number; cursor: string | null; filter: ChatListFilter },
  ): Promise<ChatPage>;
  counts(actor: Principal): Promise<ChatCounts>;
  /** Chats as lists show them, in the order asked; ids of other workspaces are absent. */
  summaries(workspaceId: string, chatIds: readonly string[]): Promise<ChatSummary[]>;
  /** Why the chat was routed where it was; null if it never was. */
  routing(workspaceId: string, chatId: string): Promise<Routing | null>;
  /** The chat's messages, newest first. */
  history(
    chat: Pick<ChatFacts, 'workspaceId' | 'id'>,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<History>;
}

/** Newest activity first; ties by id, newest id first (the chat list's order). */
export const newestFirst = (a: ChatSummary, b: ChatSummary): number =>
  b.lastMessageAt.getTime() - a.lastMessageAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
