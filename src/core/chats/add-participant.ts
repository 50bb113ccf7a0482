import {
  requireParticipantAction,
  requireVisibleChat,
  type AccessFactsSource,
  type Principal,
} from '../access/index.js';
import { AppError } from '../errors.js';
import type { EventPublisher } from '../events/events.js';
import type { ChatActionsStore } from './chat-actions-store.js';

/**
 * Adds a participant to a chat (PRODUCT.md §3.3): yourself (joining, `chat.join`) or a
 * colleague (`chat.assign`) — the access policy decides which (`requireParticipantAction`).
 * A chat the actor may not see is not found. The participant must be an active member,
 * checked on their membership row locked in the transaction that adds them; adding someone
 * already there changes nothing. `chat.participant_added` is published after the commit.
 */
export interface AddParticipantInput {
  actor: Principal;
  workspaceId: string;
  chatId: string;
  userId: string;
}

export interface AddParticipantDeps {
  access: AccessFactsSource;
  store: ChatActionsStore;
  events: EventPublisher;
}

export async function addParticipant(
  deps: AddParticipantDeps,
  input: AddParticipantInput,
): Promise<{ userId: string }> {
  const { actor, workspaceId, chatId, userId } = input;
  const [found] =
    actor.workspaceId === workspaceId ? await deps.access.chatFacts(workspaceId, [chatId]) : [];
  const chat = requireVisibleChat(actor, found);
  requireParticipantAction(actor, chat, userId);
  await deps.store.transaction(async (tx) => {
    if ((await tx.lockMemberStatus(workspaceId, userId)) !== 'active') {
      throw new AppError('invalid_input', 'the participant must be an active member', {
        details: [{ path: 'body.userId', message: 'not an active member' }],
      });
    }
    await tx.addParticipant({ workspaceId, chatId: chat.id, userId, addedBy: actor.userId });
  });
  await deps.events.publish({ type: 'chat.participant_added', workspaceId, chatId: chat.id });
  return { userId };
}
