import {
  requireVisibleChat,
  type AccessFactsSource,
  type CheckContext,
  type Principal,
} from '../access/index.js';
import type { ChatReads } from './chat-reads.js';

/**
 * A chat's history, newest first, for an actor who may view the chat (shared/API.md
 * `GET …/chats/:id/messages`, the CRM panel's history). In a CRM panel (`context`), a CRM
 * record's grant counts too (PRODUCT.md §3.5); nowhere else. A chat they may not view does not
 * exist for them (`not_found`).
 */
export interface ReadHistoryInput {
  actor: Principal;
  workspaceId: string;
  chatId: string;
  limit: number;
  cursor?: string | undefined;
  context?: CheckContext;
}

export async function readHistory<History>(
  deps: { access: AccessFactsSource; reads: Pick<ChatReads<History>, 'history'> },
  input: ReadHistoryInput,
): Promise<History> {
  const { actor, workspaceId, chatId, limit, cursor, context } = input;
  const [facts] = await deps.access.chatFacts(workspaceId, [chatId]);
  const chat = requireVisibleChat(actor, facts, context);
  return deps.reads.history(chat, { limit, cursor });
}
