import { expect } from 'vitest';
import {
  allows,
  buildPrincipal,
  buildPrincipals,
  check,
  validateRolePermissions,
  type AssigneeRef,
  type ChannelFacts,
  type ChatAction,
  type ChatFacts,
  type CheckContext,
  type MembershipStatus,
  type OwnerRef,
  type Principal,
  type Restrictions,
  type TeamStatus,
  type WorkspaceAccessFacts,
} from '../../../src/core/access/index.js';

/**
 * A small workspace for the policy tables (PRODUCT.md §3): teams Sales (with sub-team
 * Sales-EU), Support and Legacy; one user of every built-in role in Sales; colleagues in
 * Sales (Sam), Sales-EU (Eva), Support (Otto) and Legacy (Lea).
 */
export const WS = 'ws-main';

export const T = {
  sales: 'team-sales',
  salesEu: 'team-sales-eu',
  support: 'team-support',
  legacy: 'team-legacy',
} as const;
export type TeamKey = keyof typeof T;

const people = {
  owner: ['Olga', 'owner', 'sales'],
  admin: ['Adam', 'admin', 'sales'],
  teammate: ['Tina', 'teammate', 'sales'],
  agent: ['Alex', 'agent', 'sales'],
  collaborator: ['Cora', 'collaborator', 'sales'],
  sam: ['Sam', 'agent', 'sales'],
  eva: ['Eva', 'agent', 'salesEu'],
  otto: ['Otto', 'agent', 'support'],
  lea: ['Lea', 'agent', 'legacy'],
} as const satisfies Record<string, readonly [string, string, TeamKey]>;
export type UserKey = keyof typeof people;
export const U = Object.fromEntries(Object.keys(people).map((k) => [k, `u-${k}`])) as Record<
  UserKey,
  string
>;

export interface RoleSpec {
  id: string;
  name: string;
  permissions: Record<string, string>;
}

export interface WorldOptions {
  restrictions?: Partial<Record<UserKey, Restrictions>>;
  status?: Partial<Record<UserKey, MembershipStatus>>;
  teamStatus?: Partial<Record<TeamKey, TeamStatus>>;
  /** Custom roles, validated and completed by `validateRolePermissions`. */
  roles?: readonly RoleSpec[];
  /** Each binds `role` to `user`, or else to `team`. */
  bindings?: ReadonlyArray<{ role: string; user?: UserKey; team?: TeamKey }>;
}

export function world(o: WorldOptions = {}): WorkspaceAccessFacts {
  const keys = Object.keys(people) as UserKey[];
  return {
    workspaceId: WS,
    members: keys.map((k) => ({
      userId: U[k],
      name: people[k][0],
      role: people[k][1],
      status: o.status?.[k] ?? 'active',
      restrictions: o.restrictions?.[k] ?? {},
    })),
    teams: [
      { id: T.sales, name: 'Sales', parentId: null, status: o.teamStatus?.sales ?? 'active' },
      {
        id: T.salesEu,
        name: 'Sales-EU',
        parentId: T.sales,
        status: o.teamStatus?.salesEu ?? 'active',
      },
      { id: T.support, name: 'Support', parentId: null, status: o.teamStatus?.support ?? 'active' },
      { id: T.legacy, name: 'Legacy', parentId: null, status: o.teamStatus?.legacy ?? 'active' },
    ],
    teamMembers: keys.map((k) => ({ teamId: T[people[k][2]], userId: U[k] })),
    customRoles: (o.roles ?? []).map((r) => ({
      id: r.id,
      name: r.name,
      permissions: validateRolePermissions(r.permissions),
    })),
    bindings: (o.bindings ?? []).map((b, i) => ({
      id: `binding-${i}`,
      roleId: b.role,
      subject: b.user
        ? { type: 'user', id: U[b.user] }
        : { type: 'team', id: T[b.team ?? 'sales'] },
    })),
  };
}

export function principalOf(key: UserKey, o: WorldOptions = {}): Principal {
  const p = buildPrincipal(world(o), U[key]);
  if (!p) throw new Error(`no principal for ${key}`);
  return p;
}

export const everyone = (o: WorldOptions = {}): Principal[] => buildPrincipals(world(o));

// Channel accounts: one per user, per team, and HQ's.
const account = (id: string, owner: OwnerRef): ChannelFacts => ({ id, workspaceId: WS, owner });
export const userAccount = (u: UserKey) => account(`ch-${u}`, { type: 'user', userId: U[u] });
export const teamAccount = (t: TeamKey) => account(`ch-team-${t}`, { type: 'team', teamId: T[t] });
export const hqAccount = account('ch-hq', { type: 'workspace' });

export const toUser = (u: UserKey): AssigneeRef => ({ type: 'user', userId: U[u] });
export const toTeam = (t: TeamKey): AssigneeRef => ({ type: 'team', teamId: T[t] });

let chats = 0;
export function chatOn(
  on: ChannelFacts,
  o: { assignee?: AssigneeRef; participants?: readonly UserKey[]; crm?: readonly UserKey[] } = {},
): ChatFacts {
  return {
    id: `chat-${++chats}`,
    workspaceId: on.workspaceId,
    channelId: on.id,
    channelOwner: on.owner,
    assignee: o.assignee ?? null,
    participantIds: (o.participants ?? []).map((u) => U[u]),
    ...(o.crm ? { crmGrantUserIds: o.crm.map((u) => U[u]) } : {}),
  };
}

/** The columns of PRODUCT.md §3.2's chat table, and the chats in each, seen from user `x` (in Sales). */
export type Relation =
  'own chats' | 'same-team chats' | "other teams' chats" | 'assigned chats' | 'unassigned HQ chats';
export function chatsSeenFrom(x: UserKey): Array<[Relation, string, ChatFacts]> {
  const [own, same, other, mine] = [
    'own chats',
    'same-team chats',
    "other teams' chats",
    'assigned chats',
  ] as const;
  // prettier-ignore
  return [
    [own,   'unassigned, on an account they connected',             chatOn(userAccount(x))],
    [same,  "on a same-team member's account",                      chatOn(userAccount('sam'))],
    [same,  "assigned to a same-team member, on HQ's account",      chatOn(hqAccount, { assignee: toUser('sam') })],
    [same,  "assigned to the team itself, on HQ's account",         chatOn(hqAccount, { assignee: toTeam('sales') })],
    [same,  "on the team's own account",                            chatOn(teamAccount('sales'))],
    [same,  "on a sub-team member's account",                       chatOn(userAccount('eva'))],
    [same,  "on the sub-team's account",                            chatOn(teamAccount('salesEu'))],
    [same,  'assigned to the sub-team',                             chatOn(hqAccount, { assignee: toTeam('salesEu') })],
    [other, "on another team's member's account",                   chatOn(userAccount('otto'))],
    [other, "assigned to another team's member",                    chatOn(hqAccount, { assignee: toUser('otto') })],
    [other, 'assigned to another team',                             chatOn(hqAccount, { assignee: toTeam('support') })],
    [other, "on another team's account",                            chatOn(teamAccount('support'))],
    [mine,  "assigned to them, on another team's member's account", chatOn(userAccount('otto'), { assignee: toUser(x) })],
    [mine,  "assigned to them, on HQ's account",                    chatOn(hqAccount, { assignee: toUser(x) })],
    [mine,  'they take part in it',                                 chatOn(userAccount('otto'), { participants: [x] })],
    ['unassigned HQ chats', "unassigned, on HQ's account",          chatOn(hqAccount)],
  ];
}

export const Role = {
  owner: 'Owner',
  admin: 'Admin',
  teammate: 'Teammate',
  agent: 'Agent',
  collaborator: 'Collaborator',
} as const;
export const mark = (allowed: boolean) => (allowed ? '✔' : '✗');

/** What `fn` threw (or undefined). */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** `check`, asserting that its fast path `allows` agrees on every case a table decides. */
export function decide(p: Principal, action: ChatAction, chat: ChatFacts, ctx: CheckContext = {}) {
  const d = check(p, action, chat, ctx);
  expect(allows(p, action, chat, ctx)).toBe(d.allowed);
  return d;
}
export const sees = (p: Principal, chat: ChatFacts, ctx: CheckContext = {}) =>
  decide(p, 'chat.view', chat, ctx).allowed;
/** A decision's reasons as one text. */
export const why = (d: { reasons: readonly string[] }) => d.reasons.join('\n');
/** `key` with these restrictions. */
export const restricted = (key: UserKey, restrictions: Restrictions) =>
  principalOf(key, { restrictions: { [key]: restrictions } });

/** Custom roles the tables bind (PRODUCT.md §3.5). */
// prettier-ignore
export const customRoles = {
  desk: { id: 'role-desk', name: 'Sales desk', permissions: { 'chat.view': 'team', 'chat.reply': 'team' } },
  viewer: { id: 'role-viewer', name: 'Viewer', permissions: { 'chat.view': 'assigned' } },
  everything: { id: 'role-all', name: 'Everything', permissions: { 'chat.view': 'all' } },
  settings: { id: 'role-settings', name: 'Settings', permissions: { 'settings.manage': 'all' } },
} satisfies Record<string, RoleSpec>;

/** World options `o` plus `role`, bound to a user or a team. */
export const bound = (
  role: RoleSpec,
  subject: { user: UserKey } | { team: TeamKey },
  o: WorldOptions = {},
): WorldOptions => ({
  ...o,
  roles: [...(o.roles ?? []), role],
  bindings: [...(o.bindings ?? []), { role: role.id, ...subject }],
});
