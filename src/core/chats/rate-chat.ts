import {
  requireChatAction,
  requireVisibleChat,
  type AccessFactsSource,
  type Principal,
} from '../access/index.js';
import { AppError } from '../errors.js';
import type { ChatActionsStore, RatingRecord } from './chat-actions-store.js';

/**
 * Rates a conversation, 1 to 5 with an optional comment (`chat.rate`). A chat the actor may
 * not see is not found; one they see but may not rate is forbidden.
 */
export interface RateChatInput {
  actor: Principal;
  workspaceId: string;
  chatId: string;
  /** A whole number, 1–5. */
  score: number;
  comment?: string;
}

export interface RateChatDeps {
  access: AccessFactsSource;
  store: ChatActionsStore;
}

export async function rateChat(deps: RateChatDeps, input: RateChatInput): Promise<RatingRecord> {
  const { actor, workspaceId, chatId, score } = input;
  const [found] =
    actor.workspaceId === workspaceId ? await deps.access.chatFacts(workspaceId, [chatId]) : [];
  const chat = requireVisibleChat(actor, found);
  requireChatAction(actor, 'chat.rate', chat);
  if (!Number.isInteger(score) || score < 1 || score > 5) {
    throw new AppError('invalid_input', 'a rating is a whole number from 1 to 5', {
      details: [{ path: 'body.score', message: 'between 1 and 5' }],
    });
  }
  return deps.store.insertRating({
    workspaceId,
    chatId: chat.id,
    userId: actor.userId,
    score,
    comment: input.comment ?? null,
  });
}
