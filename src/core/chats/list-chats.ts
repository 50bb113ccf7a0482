import {
  teamAndSubteams,
  type AccessFactsSource,
  type ChatListFilter,
  type Principal,
} from '../access/index.js';
import { AppError } from '../errors.js';
import type { ChatPage, ChatReads } from './chat-reads.js';

/**
 * The chats the actor may see, newest activity first, a page at a time (shared/API.md
 * `GET …/chats`; the inbox page's list): optionally only those assigned to them, to nobody, to
 * one member, or to a team and its active sub-teams. The scope is the principal's
 * (`planFor`, PRODUCT.md §3.3); the filters only narrow it.
 */
export interface ListChatsInput {
  actor: Principal;
  workspaceId: string;
  limit: number;
  cursor?: string | null;
  /** `me`, `unassigned`, or a member's user id. */
  assignee?: string;
  teamId?: string;
}

export async function listChats(
  deps: { access: AccessFactsSource; reads: Pick<ChatReads, 'visibleChats'> },
  input: ListChatsInput,
): Promise<ChatPage> {
  const { actor, workspaceId, assignee, teamId } = input;
  if (actor.workspaceId !== workspaceId) throw new AppError('not_found', 'no such workspace');
  const filter: ChatListFilter = {};
  if (assignee === 'me') filter.assignee = { type: 'me' };
  else if (assignee === 'unassigned') filter.assignee = { type: 'unassigned' };
  else if (assignee) filter.assignee = { type: 'user', userId: assignee };
  if (teamId) {
    const teams = teamAndSubteams(await deps.access.workspaceAccess(workspaceId), teamId);
    if (!teams.length)
      throw new AppError('invalid_input', 'no such team', {
        details: [{ path: 'query.teamId', message: 'not an active team of this workspace' }],
      });
    filter.assigneeTeamIds = teams;
  }
  return deps.reads.visibleChats(actor, {
    limit: input.limit,
    cursor: input.cursor ?? null,
    filter,
  });
}
