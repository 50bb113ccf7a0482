import {
  activeTeam,
  allows,
  check,
  isAssignable,
  type ChatFacts,
  type Principal,
  type WorkspaceAccessFacts,
} from '../access/index.js';

/** The workspace's team tree and memberships: what a team target reaches. */
export type TeamTree = Pick<WorkspaceAccessFacts, 'teams' | 'teamMembers'>;

/** Who may get the chat, and why not the others. */
export type Eligibility = { eligible: true } | { eligible: false; reason: string };

/**
 * May the chat be routed to `p` (PRODUCT.md §4)? Only an active member who may be assigned
 * chats and who could reply to this chat once it is theirs. The reply decision is the access
 * engine's (`allows`/`check` on the chat as it would be, assigned to them), so routing can
 * never pick someone the rest of Switchboard would refuse — an Agent, for one, only answers
 * through accounts they connected (§3.3).
 */
export function replyEligibility(p: Principal, chat: ChatFacts): Eligibility {
  if (p.status !== 'active') return { eligible: false, reason: `${p.name} is ${p.status}` };
  if (!isAssignable(p)) {
    return {
      eligible: false,
      reason: `${p.name} cannot be assigned chats (chat.view is "${p.levels['chat.view']}")`,
    };
  }
  const theirs = assignedTo(chat, p.userId);
  if (allows(p, 'chat.reply', theirs)) return { eligible: true };
  const why = check(p, 'chat.reply', theirs).reasons.join('; ');
  return {
    eligible: false,
    reason: `${p.name} could not reply to it once assigned (access check: ${why})`,
  };
}

/** The chat as it would be once assigned to `userId`. */
export function assignedTo(chat: ChatFacts, userId: string): ChatFacts {
  return { ...chat, assignee: { type: 'user', userId } };
}

/** A user's open chats and limit; a user with no limit set has no capacity. */
export interface Load {
  open: number;
  capacity: number | undefined;
}

export const atCapacity = (load: Load): boolean =>
  load.capacity !== undefined && load.open >= load.capacity;

/** A team target's reach: the team's name and every member of it or of its sub-teams. */
export interface TeamReach {
  teamId: string;
  name: string;
  userIds: ReadonlySet<string>;
}

/**
 * The members a team target reaches: "team" always includes sub-teams (PRODUCT.md §1),
 * walked down through active teams only, as the access engine walks them. A team that is
 * suspended, deleted or unknown reaches nobody: its queue belongs to HQ (§2). Whether the team
 * may take chats at all is `activeTeam`, the rule assigning by hand follows too.
 */
export function teamReach(tree: TeamTree, teamId: string): TeamReach | undefined {
  const root = activeTeam(tree, teamId);
  if (!root) return undefined;
  const active = tree.teams.filter((t) => t.status === 'active');
  const children = new Map<string, string[]>();
  for (const t of active) {
    if (t.parentId !== null) children.set(t.parentId, [...(children.get(t.parentId) ?? []), t.id]);
  }
  const teamIds = new Set<string>();
  const stack = [teamId];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (teamIds.has(id)) continue; // a cycle in bad data ends here
    teamIds.add(id);
    stack.push(...(children.get(id) ?? []));
  }
  const userIds = new Set(
    tree.teamMembers.filter((m) => teamIds.has(m.teamId)).map((m) => m.userId),
  );
  return { teamId, name: root.name, userIds };
}
