import {
  noPermissions,
  type ChatAction,
  permissions,
  rank,
  type Level,
  type Permission,
  type PermissionLevels,
} from './levels.js';
import { restrictionCaps, type RestrictionKey } from './restrictions.js';
import { builtInRoles } from './roles.js';
import type { MemberFacts, MembershipStatus, WorkspaceAccessFacts } from './facts.js';
import { accessKeys, type AccessKeys } from './keys.js';

/** Where a permission's level came from: the role binding that decided it. */
export interface GrantSource {
  roleId: string;
  roleName: string;
  /** `membership`: the user's workspace role; otherwise a binding to the user or a team. */
  via:
    { type: 'membership' } | { type: 'user' } | { type: 'team'; teamId: string; teamName: string };
}

/**
 * Where a principal keeps its scope plans (`planFor` fills them; `unknown` here because the
 * plan's type lives in scope.ts, which imports this file). The slots are laid out when the
 * principal is made, one per chat action, so every principal object has the same shape and
 * finding a plan is two property reads.
 */
export const PLAN_SLOTS: unique symbol = Symbol('scope plans');
export type PlanSlots = Record<ChatAction, unknown>;

/**
 * A user's effective access in one workspace, computed once from the facts and cheap to
 * reuse: deciding against a principal never touches the database.
 */
export interface Principal {
  readonly workspaceId: string;
  readonly userId: string;
  readonly name: string;
  readonly status: MembershipStatus;
  readonly role: string;
  readonly roleName: string;
  /** Effective levels: the broadest of every role that reaches the user, then narrowed. */
  readonly levels: Readonly<PermissionLevels>;
  /** The levels the roles give, before restrictions narrowed them. */
  readonly granted: Readonly<PermissionLevels>;
  readonly grants: Readonly<Record<Permission, GrantSource | null>>;
  /** The restriction that narrowed a permission below what the roles give. */
  readonly narrowedBy: Readonly<Partial<Record<Permission, RestrictionKey>>>;
  readonly chatVisibility: 'team' | 'self' | undefined;
  readonly maskContactIdentifiers: boolean;
  /** The active teams the user is in, and all their active sub-teams. */
  readonly teamIds: ReadonlySet<string>;
  /** Everyone in those teams (any membership status: their chats stay visible to the team). */
  readonly teamMemberIds: ReadonlySet<string>;
  /** Names for explanations: teams and members of the workspace. */
  readonly names: ReadonlyMap<string, string>;
  /** The workspace's keys, shared by every principal of the same facts (scope tables use them). */
  readonly keys: AccessKeys;
  readonly [PLAN_SLOTS]: PlanSlots;
}

interface Closure {
  teamIds: ReadonlySet<string>;
  teamMemberIds: ReadonlySet<string>;
}

interface Index {
  facts: WorkspaceAccessFacts;
  children: Map<string, string[]>;
  activeTeams: Map<string, { name: string; parentId: string | null }>;
  membersByTeam: Map<string, string[]>;
  teamsByUser: Map<string, string[]>;
  roles: Map<string, { name: string; permissions: PermissionLevels }>;
  names: Map<string, string>;
  keys: AccessKeys;
  members: Map<string, MemberFacts>;
  /** Team closures by their sorted team ids (see `closureOf`). */
  closures: Map<string, Closure>;
  /** Principals built so far from these facts (undefined: not a member). */
  principals: Map<string, Principal | undefined>;
  everyone?: Principal[];
}

const indexes = new WeakMap<WorkspaceAccessFacts, Index>();

function indexOf(facts: WorkspaceAccessFacts): Index {
  const cached = indexes.get(facts);
  if (cached) return cached;
  const activeTeams = new Map(
    facts.teams
      .filter((t) => t.status === 'active')
      .map((t) => [t.id, { name: t.name, parentId: t.parentId }]),
  );
  const children = new Map<string, string[]>();
  for (const [id, team] of activeTeams) {
    if (team.parentId) push(children, team.parentId, id);
  }
  const membersByTeam = new Map<string, string[]>();
  const teamsByUser = new Map<string, string[]>();
  for (const { teamId, userId } of facts.teamMembers) {
    push(membersByTeam, teamId, userId);
    push(teamsByUser, userId, teamId);
  }
  const roles = new Map<string, { name: string; permissions: PermissionLevels }>();
  for (const role of Object.values(builtInRoles)) roles.set(role.key, role);
  for (const role of facts.customRoles) roles.set(role.id, role);
  const names = new Map<string, string>();
  for (const t of facts.teams) names.set(t.id, t.name);
  for (const m of facts.members) names.set(m.userId, m.name);
  const members = new Map(facts.members.map((m) => [m.userId, m]));
  const index: Index = {
    facts,
    children,
    activeTeams,
    membersByTeam,
    teamsByUser,
    roles,
    names,
    keys: accessKeys(facts),
    members,
    closures: new Map(),
    principals: new Map(),
  };
  indexes.set(facts, index);
  return index;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Active teams reachable downwards from `roots` through active teams (roots included). */
function descendants(index: Index, roots: Iterable<string>): Set<string> {
  const out = new Set<string>();
  const stack = [...roots].filter((id) => index.activeTeams.has(id));
  while (stack.length) {
    const id = stack.pop() as string;
    if (out.has(id)) continue;
    out.add(id);
    for (const child of index.children.get(id) ?? []) stack.push(child);
  }
  return out;
}

/** Active teams upwards from `teams` through active parents (the teams themselves included). */
function ancestors(index: Index, teams: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (let id of teams) {
    for (let hops = 0; index.activeTeams.has(id) && !out.has(id) && hops < 1000; hops++) {
      out.add(id);
      const parent = index.activeTeams.get(id)?.parentId;
      if (!parent) break;
      id = parent;
    }
  }
  return out;
}

/**
 * A team closure and everyone in it, made once per distinct closure of the facts: the members
 * of a team of 3,000 share one set rather than holding 3,000 copies of it, and the scopes built
 * from it (`scope.ts`) are shared the same way.
 */
function closureOf(index: Index, teamIds: Set<string>): Closure {
  const key = [...teamIds].sort().join('\u0000');
  const known = index.closures.get(key);
  if (known) return known;
  const teamMemberIds = new Set<string>();
  for (const team of teamIds)
    for (const u of index.membersByTeam.get(team) ?? []) teamMemberIds.add(u);
  const closure = { teamIds, teamMemberIds };
  index.closures.set(key, closure);
  return closure;
}

/**
 * The principal of `userId`, or undefined if they are not a member (pending, never). Built once
 * per facts object: facts are never changed in place (a change is a new object), so whoever
 * keeps a workspace's facts (the access cache) keeps its principals and their scope plans too.
 */
export function buildPrincipal(facts: WorkspaceAccessFacts, userId: string): Principal | undefined {
  const index = indexOf(facts);
  if (index.principals.has(userId)) return index.principals.get(userId);
  const principal = makePrincipal(index, userId);
  index.principals.set(userId, principal);
  return principal;
}

function makePrincipal(index: Index, userId: string): Principal | undefined {
  const member = index.members.get(userId);
  if (!member) return undefined;

  const directTeams = (index.teamsByUser.get(userId) ?? []).filter((t) => index.activeTeams.has(t));
  const { teamIds, teamMemberIds } = closureOf(index, descendants(index, directTeams));

  // The membership role, then every binding that reaches the user: broadest wins.
  const levels = noPermissions();
  const grants = Object.fromEntries(permissions.map((p) => [p, null])) as Record<
    Permission,
    GrantSource | null
  >;
  const apply = (roleId: string, via: GrantSource['via']) => {
    const role = index.roles.get(roleId);
    if (!role) return;
    for (const p of permissions) {
      if (grants[p] === null || rank[role.permissions[p]] > rank[levels[p]]) {
        levels[p] = role.permissions[p];
        grants[p] = { roleId, roleName: role.name, via };
      }
    }
  };
  apply(member.role, { type: 'membership' });
  const teamsUpwards = ancestors(index, directTeams);
  for (const binding of index.facts.bindings) {
    if (binding.subject.type === 'user' && binding.subject.id === userId) {
      apply(binding.roleId, { type: 'user' });
    } else if (binding.subject.type === 'team' && teamsUpwards.has(binding.subject.id)) {
      apply(binding.roleId, {
        type: 'team',
        teamId: binding.subject.id,
        teamName: index.names.get(binding.subject.id) ?? binding.subject.id,
      });
    }
  }

  const granted = { ...levels };
  // Restrictions only narrow, and never an Owner's access.
  const isOwner = member.role === 'owner';
  const r = isOwner ? {} : member.restrictions;
  const narrowedBy: Partial<Record<Permission, RestrictionKey>> = {};
  const cap = (p: Permission, level: Level, key: RestrictionKey) => {
    if (rank[levels[p]] > rank[level]) {
      levels[p] = level;
      narrowedBy[p] = key;
    }
  };
  for (const [key, caps] of Object.entries(restrictionCaps)) {
    if (!r[key as keyof typeof restrictionCaps]) continue;
    for (const [permission, level] of caps) cap(permission, level, key as RestrictionKey);
  }
  if (r.chatVisibility === 'self') {
    for (const p of ['chat.view', 'chat.reply', 'chat.assign', 'chat.join', 'chat.rate'] as const) {
      cap(p, 'assigned', 'chatVisibility');
    }
  }

  return {
    workspaceId: index.facts.workspaceId,
    userId,
    name: member.name,
    status: member.status,
    role: member.role,
    roleName: index.roles.get(member.role)?.name ?? `unknown role ${member.role}`,
    levels,
    granted,
    grants,
    narrowedBy,
    chatVisibility: r.chatVisibility === 'team' ? 'team' : undefined,
    maskContactIdentifiers: r.maskContactIdentifiers === true,
    teamIds,
    teamMemberIds,
    names: index.names,
    keys: index.keys,
    [PLAN_SLOTS]: {
      'chat.view': undefined,
      'chat.reply': undefined,
      'chat.assign': undefined,
      'chat.join': undefined,
      'chat.rate': undefined,
    } satisfies PlanSlots,
  };
}

/** Every member's principal (for audiences and routing). */
export function buildPrincipals(facts: WorkspaceAccessFacts): Principal[] {
  const index = indexOf(facts);
  index.everyone ??= facts.members.flatMap((m) => buildPrincipal(facts, m.userId) ?? []);
  return index.everyone;
}
