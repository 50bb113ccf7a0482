import { requireVisibleChat, type AccessFactsSource, type Principal } from '../access/index.js';
import type { ChatReads } from './chat-reads.js';
import type { ChatSummary } from './chat-summary.js';

/**
 * One chat the actor may view (shared/API.md `GET …/chats/:id`), with why it was routed where
 * it was and who joined it. A chat they may not view does not exist for them (`not_found`).
 */
export interface ViewChatInput {
  actor: Principal;
  workspaceId: string;
  chatId: string;
}

export interface ChatView<Routing> {
  chat: ChatSummary;
  routing: Routing | null;
  participantIds: readonly string[];
}

export async function viewChat<Routing>(
  deps: {
    access: AccessFactsSource;
    reads: Pick<ChatReads<unknown, Routing>, 'summaries' | 'routing'>;
  },
  input: ViewChatInput,
): Promise<ChatView<Routing>> {
  const { actor, workspaceId, chatId } = input;
  const [facts] = await deps.access.chatFacts(workspaceId, [chatId]);
  const chat = requireVisibleChat(actor, facts);
  const [[summary], routing] = await Promise.all([
    deps.reads.summaries(workspaceId, [chat.id]),
    deps.reads.routing(workspaceId, chat.id),
  ]);
  if (!summary) throw new Error(`chat ${chat.id} has facts but no summary`);
  return { chat: summary, routing, participantIds: chat.participantIds };
}
