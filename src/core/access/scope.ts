import { rank, type ChatAction, type Level } from './levels.js';
import type { ChatFacts, OwnerRef } from './facts.js';
import { bitsOf, keyOf, keyTable, KEY_BIT, type AccessKeys, type KeyTable } from './keys.js';
import { PLAN_SLOTS, type Principal } from './principal.js';

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
  /**
   * The same scope with each branch kind's keys merged into one set: what hot paths evaluate,
   * and how badges are counted. Undefined for a plan whose filters do not reduce to that form.
   */
  flat: FlatScope | undefined;
}

/**
 * A scope as sets: a chat is in it iff the user takes part in it, or its assignee or its
 * account's owner is in one of the sets (or `everything`) — and, under a filtering restriction
 * (chatVisibility=team), its assignee is also one of `onlyAssignees`.
 */
export interface FlatScope {
  /** Scope `all`: every chat of the workspace. */
  everything: boolean;
  assigneeUsers: ReadonlySet<string>;
  assigneeTeams: ReadonlySet<string>;
  ownerUsers: ReadonlySet<string>;
  ownerTeams: ReadonlySet<string>;
  /** Chats this user takes part in, whatever the filter. */
  participantUserId: string | undefined;
  onlyAssignees: { users: ReadonlySet<string>; teams: ReadonlySet<string> } | undefined;
  /** The same sets over the workspace's keys: what `inScope` reads (see `AccessKeys`). */
  table: KeyTable;
}

const addAll = (set: Set<string>, ids: Iterable<string>) => {
  for (const id of ids) set.add(id);
};

/**
 * The plan's branches merged per kind. A filtered plan flattens when its one filter is
 * assignees plus "U takes part" and U's participation is itself an unfiltered term, and every
 * unfiltered term lies inside the filter (what `chatScopePlan` builds for chatVisibility=team);
 * any other shape stays unflattened and is evaluated term by term.
 */
function flatten(terms: readonly ScopeTerm[], keys: AccessKeys): FlatScope | undefined {
  const filters = new Set(terms.flatMap((t) => (t.alsoOneOf ? [t.alsoOneOf] : [])));
  if (filters.size > 1) return undefined;
  let everything = false;
  let participantUserId: string | undefined;
  const assigneeUsers = new Set<string>();
  const assigneeTeams = new Set<string>();
  const ownerUsers = new Set<string>();
  const ownerTeams = new Set<string>();
  for (const { branch: b } of terms) {
    if (b.kind === 'workspace') everything = true;
    else if (b.kind === 'participant') participantUserId = b.userId;
    else if (b.kind === 'assignee_user') addAll(assigneeUsers, b.userIds);
    else if (b.kind === 'assignee_team') addAll(assigneeTeams, b.teamIds);
    else if (b.kind === 'channel_owner_user') addAll(ownerUsers, b.userIds);
    else addAll(ownerTeams, b.teamIds);
  }

  const [filter] = filters;
  let onlyAssignees: FlatScope['onlyAssignees'];
  if (filter) {
    const only = { users: new Set<string>(), teams: new Set<string>() };
    for (const f of filter) {
      if (f.kind === 'assignee_user') addAll(only.users, f.userIds);
      else if (f.kind === 'assignee_team') addAll(only.teams, f.teamIds);
      else if (f.kind !== 'participant' || f.userId !== participantUserId) return undefined;
    }
    const unfilteredParticipant = terms.some(
      (t) =>
        !t.alsoOneOf && t.branch.kind === 'participant' && t.branch.userId === participantUserId,
    );
    const insideFilter = terms.every(({ branch: b, alsoOneOf }) => {
      if (alsoOneOf || b.kind === 'participant') return true;
      if (b.kind === 'assignee_user') return b.userIds.every((id) => only.users.has(id));
      if (b.kind === 'assignee_team') return b.teamIds.every((id) => only.teams.has(id));
      return false;
    });
    if (!unfilteredParticipant || !insideFilter || everything) return undefined;
    onlyAssignees = only;
  }

  const table = keyTable(keys, [
    { ids: assigneeUsers, kind: 'user', bit: KEY_BIT.assignee },
    { ids: assigneeTeams, kind: 'team', bit: KEY_BIT.assignee },
    { ids: ownerUsers, kind: 'user', bit: KEY_BIT.owner },
    { ids: ownerTeams, kind: 'team', bit: KEY_BIT.owner },
    { ids: onlyAssignees?.users ?? [], kind: 'user', bit: KEY_BIT.filter },
    { ids: onlyAssignees?.teams ?? [], kind: 'team', bit: KEY_BIT.filter },
  ]);
  // One literal, every field always present: every plan's flat scope has the same shape, so
  // the hot paths that read it see one object layout, whoever's plan it is.
  return {
    everything,
    assigneeUsers,
    assigneeTeams,
    ownerUsers,
    ownerTeams,
    participantUserId,
    onlyAssignees,
    table,
  };
}

function plan(p: Principal, level: Level, terms: readonly ScopeTerm[]): ChatScopePlan {
  return { workspaceId: p.workspaceId, level, terms, flat: flatScope(p, level, terms) };
}

/**
 * The plan's flat scope. At level `team`, for an active user inside their own team closure
 * (anyone in a team is), every set of it is the closure's — the user's own chats are their
 * team's — so one flat scope serves every such principal of the closure, with their own
 * participation. (A suspended user's plan is empty whatever the level: never shared.)
 */
function flatScope(p: Principal, level: Level, terms: readonly ScopeTerm[]): FlatScope | undefined {
  if (level !== 'team' || p.status !== 'active' || !p.teamMemberIds.has(p.userId))
    return flatten(terms, p.keys);
  const flats = teamShareOf(p).flats;
  const key = p.chatVisibility ?? '';
  if (!flats.has(key)) flats.set(key, flatten(terms, p.keys));
  const shared = flats.get(key);
  return shared && withParticipant(shared, p.userId);
}

function withParticipant(flat: FlatScope, participantUserId: string): FlatScope {
  return {
    everything: flat.everything,
    assigneeUsers: flat.assigneeUsers,
    assigneeTeams: flat.assigneeTeams,
    ownerUsers: flat.ownerUsers,
    ownerTeams: flat.ownerTeams,
    participantUserId,
    onlyAssignees: flat.onlyAssignees,
    table: flat.table,
  };
}

/**
 * What every principal of one team closure has in common: its members and teams as branches.
 * A Teammate's scope is mostly its team's, so building it per principal made a workspace's
 * plans quadratic in team size (10,000 members with a team of 3,000 took ~17 s to plan). The
 * parts are made once per closure (`Principal.teamIds`, which principals of one facts object
 * share when their closures are equal) and shared, with the flat scopes built from them.
 */
interface TeamShare {
  teamMemberIds: ReadonlySet<string>;
  keys: AccessKeys;
  ownerMembers: ChatBranch;
  ownerTeams: ChatBranch;
  assigneeMembers: ChatBranch;
  assigneeTeams: ChatBranch;
  /** Flat scopes of team-level plans, by the user's chatVisibility restriction (`flatScope`). */
  flats: Map<string, FlatScope | undefined>;
}
const teamShares = new WeakMap<ReadonlySet<string>, TeamShare>();

function teamShareOf(p: Principal): TeamShare {
  const known = teamShares.get(p.teamIds);
  // Shared only between principals whose members come with the same teams, over the same keys.
  if (known?.teamMemberIds === p.teamMemberIds && known.keys === p.keys) return known;
  const members = [...p.teamMemberIds];
  const myTeams = [...p.teamIds];
  const share: TeamShare = {
    teamMemberIds: p.teamMemberIds,
    keys: p.keys,
    ownerMembers: users('channel_owner_user', members),
    ownerTeams: teams('channel_owner_team', myTeams),
    assigneeMembers: users('assignee_user', members),
    assigneeTeams: teams('assignee_team', myTeams),
    flats: new Map(),
  };
  if (!known) teamShares.set(p.teamIds, share);
  return share;
}

/** The branches that make up each level, for user U (PRODUCT.md §3.1). */
function branchesAt(p: Principal, level: Level): ChatBranch[] {
  const me = [p.userId];
  const out: ChatBranch[] = [];
  if (level === 'all') return [{ kind: 'workspace' }];
  if (rank[level] >= rank.assigned) {
    out.push(users('assignee_user', me), { kind: 'participant', userId: p.userId });
  }
  if (rank[level] >= rank.own) out.push(users('channel_owner_user', me));
  if (rank[level] >= rank.team) {
    const team = teamShareOf(p);
    out.push(team.ownerMembers, team.ownerTeams, team.assigneeMembers, team.assigneeTeams);
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
  const team = teamShareOf(p);
  const filter: ChatBranch[] = [
    p.teamMemberIds.has(p.userId)
      ? team.assigneeMembers
      : users('assignee_user', [p.userId, ...p.teamMemberIds]),
    team.assigneeTeams,
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
    if ('userIds' in f && 'userIds' in branch) return branch.userIds.every((u) => f.ids.has(u));
    if ('teamIds' in f && 'teamIds' in branch) return branch.teamIds.every((t) => f.ids.has(t));
    return f.kind === 'workspace';
  });
}

export function chatScopePlan(p: Principal, action: ChatAction): ChatScopePlan {
  const level = p.levels[action];
  if (p.status !== 'active' || level === 'none') return plan(p, level, []);
  const branches = branchesAt(p, level);
  if (p.chatVisibility !== 'team') {
    return plan(
      p,
      level,
      branches.map((branch) => ({ branch })),
    );
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
  return plan(p, level, terms);
}

/**
 * `chatScopePlan`, computed once per principal and action and kept in the principal's plan
 * slots (`PLAN_SLOTS`): a check costs two property reads to find it, whichever principal came
 * before.
 */
export function planFor(p: Principal, action: ChatAction): ChatScopePlan {
  const slots = p[PLAN_SLOTS];
  return (slots[action] ??= chatScopePlan(p, action)) as ChatScopePlan;
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

/**
 * Is the chat in the plan's scope? `matchingTerm` without saying which term. A plan that
 * flattens is decided from its key table: the chat's assignee and account owner looked up once
 * in the workspace's keys, then one entry each (see `AccessKeys`).
 */
export function inScope(plan: ChatScopePlan, chat: ChatFacts): boolean {
  const flat = plan.flat;
  if (!flat) return matchingTerm(plan, chat) !== undefined;
  if (chat.workspaceId !== plan.workspaceId) return false;
  if (flat.everything) return true;
  const table = flat.table;
  const assignee = bitsOf(table, keyOf(table.keys, chat.assignee));
  if (
    (flat.onlyAssignees === undefined || (assignee & KEY_BIT.filter) !== 0) &&
    ((assignee & KEY_BIT.assignee) !== 0 ||
      (bitsOf(table, keyOf(table.keys, chat.channelOwner)) & KEY_BIT.owner) !== 0)
  )
    return true;
  // Taking part lets the user see the chat whatever the filter says.
  const participant = flat.participantUserId;
  const participants = chat.participantIds;
  return participant !== undefined && participants.length > 0 && participants.includes(participant);
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
