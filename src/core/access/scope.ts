import { rank, type ChatAction, type Level } from './levels.js';
import type { ChatFacts, OwnerRef } from './facts.js';
import type { Principal } from './principal.js';

/**
 * A scope as data: the union of branches a chat may match to be in it. This one plan is what
 * `check` evaluates in memory and what the database adapter compiles to SQL (one indexed
 * top-N query per branch, UNIONed), so the two cannot disagree.
 */
export type ChatBranch =
  | { kind: 'assignee_user'; userIds: readonly string[]; ids: ReadonlySet<string> }
  | { kind: 'assignee_team'; teamIds: readonly string[]; ids: ReadonlySet<string> }
  | { kind: 'participant'; userId: string }
  | { kind: 'channel_owner_user'; userIds: readonly string[]; ids: ReadonlySet<string> }
  | { kind: 'channel_owner_team'; teamIds: readonly string[]; ids: ReadonlySet<string> }
  | { kind: 'workspace' };

/** A branch on users or teams; `ids` holds the same keys as a set, for `check`'s lookups. */
const users = (kind: 'assignee_user' | 'channel_owner_user', userIds: readonly string[]) =>
  ({ kind, userIds, ids: new Set(userIds) }) as const;
const teams = (kind: 'assignee_team' | 'channel_owner_team', teamIds: readonly string[]) =>
  ({ kind, teamIds, ids: new Set(teamIds) }) as const;

export interface ScopeTerm {
  branch: ChatBranch;
  /** When set, the chat must also match one of these (a restriction that filters). */
  alsoOneOf?: readonly ChatBranch[];
}

export interface ChatScopePlan {
  workspaceId: string;
  /** The effective level the plan stands for. */
  level: Level;
  /** Empty: nothing is in scope. */
  terms: readonly ScopeTerm[];
}

/** The branches that make up each level, for user U (PRODUCT.md §3.1). */
function branchesAt(p: Principal, level: Level): ChatBranch[] {
  const me = [p.userId];
  const members = [...p.teamMemberIds];
  const myTeams = [...p.teamIds];
  const out: ChatBranch[] = [];
  if (level === 'all') return [{ kind: 'workspace' }];
  if (rank[level] >= rank.assigned) {
    out.push(users('assignee_user', me), { kind: 'participant', userId: p.userId });
  }
  if (rank[level] >= rank.own) out.push(users('channel_owner_user', me));
  if (rank[level] >= rank.team) {
    out.push(
      users('channel_owner_user', members),
      teams('channel_owner_team', myTeams),
      users('assignee_user', members),
      teams('assignee_team', myTeams),
    );
  }
  return out.filter((b) => !isEmpty(b));
}

function isEmpty(b: ChatBranch): boolean {
  if ('userIds' in b) return b.userIds.length === 0;
  if ('teamIds' in b) return b.teamIds.length === 0;
  return false;
}

/**
 * "Self and own team" (chatVisibility=team): only chats assigned to the user, to one of their
 * teams or to a member of one, or that they take part in. Unassigned chats vanish.
 */
function selfAndTeamFilter(p: Principal): ChatBranch[] {
  const filter: ChatBranch[] = [
    users('assignee_user', [p.userId, ...p.teamMemberIds]),
    teams('assignee_team', [...p.teamIds]),
    { kind: 'participant', userId: p.userId },
  ];
  return filter.filter((b) => !isEmpty(b));
}

/** Is every chat matching `branch` also matched by one of `filter`? Then the filter adds nothing. */
function coveredBy(branch: ChatBranch, filter: readonly ChatBranch[]): boolean {
  return filter.some((f) => {
    if (f.kind !== branch.kind) return false;
    if (f.kind === 'participant' && branch.kind === 'participant')
      return f.userId === branch.userId;
    if ('userIds' in f && 'userIds' in branch)
      return branch.userIds.every((u) => f.userIds.includes(u));
    if ('teamIds' in f && 'teamIds' in branch)
      return branch.teamIds.every((t) => f.teamIds.includes(t));
    return f.kind === 'workspace';
  });
}

export function chatScopePlan(p: Principal, action: ChatAction): ChatScopePlan {
  const level = p.levels[action];
  if (p.status !== 'active' || level === 'none')
    return { workspaceId: p.workspaceId, level, terms: [] };
  const branches = branchesAt(p, level);
  if (p.chatVisibility !== 'team') {
    return { workspaceId: p.workspaceId, level, terms: branches.map((branch) => ({ branch })) };
  }
  const filter = selfAndTeamFilter(p);
  const terms: ScopeTerm[] = [];
  for (const branch of branches) {
    if (branch.kind === 'workspace') {
      // Everything ∩ filter = the filter itself: use its indexed branches.
      terms.push(...filter.map((b) => ({ branch: b })));
    } else if (coveredBy(branch, filter)) {
      terms.push({ branch });
    } else {
      terms.push({ branch, alsoOneOf: filter });
    }
  }
  return { workspaceId: p.workspaceId, level, terms };
}

const plans = new WeakMap<Principal, Map<ChatAction, ChatScopePlan>>();
/** The last plan handed out: a run of checks for one user skips the map lookups. */
let last: { p: Principal; action: ChatAction; plan: ChatScopePlan } | undefined;

/** `chatScopePlan`, computed once per principal and action. */
export function planFor(p: Principal, action: ChatAction): ChatScopePlan {
  if (last?.p === p && last.action === action) return last.plan;
  const plan = cachedPlan(p, action);
  last = { p, action, plan };
  return plan;
}

function cachedPlan(p: Principal, action: ChatAction): ChatScopePlan {
  let byAction = plans.get(p);
  if (!byAction) plans.set(p, (byAction = new Map<ChatAction, ChatScopePlan>()));
  let plan = byAction.get(action);
  if (!plan) byAction.set(action, (plan = chatScopePlan(p, action)));
  return plan;
}

export function branchMatches(b: ChatBranch, chat: ChatFacts): boolean {
  switch (b.kind) {
    case 'assignee_user':
      return chat.assignee?.type === 'user' && b.ids.has(chat.assignee.userId);
    case 'assignee_team':
      return chat.assignee?.type === 'team' && b.ids.has(chat.assignee.teamId);
    case 'participant':
      return chat.participantIds.includes(b.userId);
    case 'channel_owner_user':
      return chat.channelOwner.type === 'user' && b.ids.has(chat.channelOwner.userId);
    case 'channel_owner_team':
      return chat.channelOwner.type === 'team' && b.ids.has(chat.channelOwner.teamId);
    case 'workspace':
      return true;
  }
}

/** The first term of the plan that covers the chat, or undefined. */
export function matchingTerm(plan: ChatScopePlan, chat: ChatFacts): ScopeTerm | undefined {
  if (chat.workspaceId !== plan.workspaceId) return undefined;
  for (const t of plan.terms) {
    if (
      branchMatches(t.branch, chat) &&
      (!t.alsoOneOf || t.alsoOneOf.some((f) => branchMatches(f, chat)))
    )
      return t;
  }
  return undefined;
}

/** Which accounts a channel permission covers: `own` = owned by U; `team` adds U's teams and their members. */
export function channelInScope(
  p: Principal,
  level: Level,
  owner: OwnerRef,
): 'own' | 'team' | 'all' | undefined {
  if (level === 'none' || level === 'assigned') return undefined;
  if (owner.type === 'user' && owner.userId === p.userId) return 'own';
  if (level === 'all') return 'all';
  if (level === 'team') {
    if (owner.type === 'user' && p.teamMemberIds.has(owner.userId)) return 'team';
    if (owner.type === 'team' && p.teamIds.has(owner.teamId)) return 'team';
  }
  return undefined;
}

/**
 * The reply rule (PRODUCT.md §3.3) for sending on `chat` through the account `via`:
 * Agents only through accounts they own; Teammates, Admins and Owners "through any account
 * whose chats they see" — the chat's own account always (they see this chat), another one as
 * far as `channel.use` reaches; Collaborators through any account of the workspace.
 */
export function replyChannelAllowed(
  p: Principal,
  chat: ChatFacts,
  via: { id: string; workspaceId: string; owner: OwnerRef },
): 'own' | 'team' | 'all' | 'this chat' | undefined {
  if (via.workspaceId !== p.workspaceId) return undefined;
  const level = p.levels['channel.use'];
  const how = channelInScope(p, level, via.owner);
  if (how) return how;
  if (rank[level] >= rank.team && via.id === chat.channelId) return 'this chat';
  return undefined;
}
