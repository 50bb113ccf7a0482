import type { Principal } from '../access/index.js';
import { AppError } from '../errors.js';
import type { ChatCounts, ChatReads } from './chat-reads.js';

/**
 * The chat list's badges (shared/API.md `GET …/chats/counts`): chats assigned to the actor,
 * unassigned ones, and all they may see — each what `listChats` would list with that filter.
 */
export interface CountChatsInput {
  actor: Principal;
  workspaceId: string;
}

export async function countChats(
  deps: { reads: Pick<ChatReads, 'counts'> },
  input: CountChatsInput,
): Promise<ChatCounts> {
  if (input.actor.workspaceId !== input.workspaceId)
    throw new AppError('not_found', 'no such workspace');
  return deps.reads.counts(input.actor);
}
