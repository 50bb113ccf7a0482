import type { ChatFacts, WorkspaceAccessFacts } from './facts.js';
import type { Principal } from './principal.js';

/**
 * The optional filters of the chat list (`?assignee=me|unassigned|<userId>&teamId=`). They
 * only narrow what the user may see; the database adapter compiles the same structure.
 */
export interface ChatListFilter {
  assignee?: { type: 'me' } | { type: 'unassigned' } | { type: 'user'; userId: string };
  /** Chats assigned to these teams (a team and its active sub-teams: see `teamAndSubteams`). */
  assigneeTeamIds?: readonly string[];
}

export function matchesListFilter(p: Principal, filter: ChatListFilter, chat: ChatFacts): boolean {
  const a = filter.assignee;
  if (a?.type === 'me' && !(chat.assignee?.type === 'user' && chat.assignee.userId === p.userId))
    return false;
  if (a?.type === 'unassigned' && chat.assignee !== null) return false;
  if (a?.type === 'user' && !(chat.assignee?.type === 'user' && chat.assignee.userId === a.userId))
    return false;
  if (filter.assigneeTeamIds) {
    if (chat.assignee?.type !== 'team' || !filter.assigneeTeamIds.includes(chat.assignee.teamId))
      return false;
  }
  return true;
}

/** A team and its active sub-teams ("team" always includes sub-teams). Empty if the team is not active. */
export function teamAndSubteams(facts: WorkspaceAccessFacts, teamId: string): string[] {
  const active = new Map(facts.teams.filter((t) => t.status === 'active').map((t) => [t.id, t]));
  if (!active.has(teamId)) return [];
  const out = new Set<string>([teamId]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const t of active.values()) {
      if (t.parentId && out.has(t.parentId) && !out.has(t.id)) {
        out.add(t.id);
        grew = true;
      }
    }
  }
  return [...out];
}
