import {
  builtInRoleKeys,
  chatActions,
  channelActions,
  levels,
  permissionLevels,
  rank,
  validateRolePermissions,
  type AssigneeRef,
  type ChatFacts,
  type Level,
  type OwnerRef,
  type Restrictions,
  type WorkspaceAccessFacts,
} from '../../src/core/access/index.js';
import type { Database } from '../../src/adapters/db/database.js';
import { assignChats } from './database.js';

/**
 * Random worlds for property tests: nested teams (some suspended), users of every role with
 * random bindings, restrictions and statuses, channel accounts owned by users, teams or HQ,
 * chats with random assignees, participants and CRM grants, and timestamps that collide (to
 * exercise the id tie-break) and carry microseconds. Deterministic from a seed.
 */
export interface WorldChat extends ChatFacts {
  externalId: string;
  contactId: string;
  /** E.164, as stored (`+49…`); `externalId` is the WhatsApp id of the same number. */
  phone: string;
  email: string;
  /** ISO-8601 with microseconds: sorts lexically in time order. */
  lastMessageAt: string;
}

export interface WorldWorkspace {
  facts: WorkspaceAccessFacts;
  channels: Array<{ id: string; owner: OwnerRef }>;
  chats: WorldChat[];
}

export interface World {
  prefix: string;
  workspaces: WorldWorkspace[];
}

export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const chance = (p: number) => next() < p;
  const some = <T>(items: readonly T[], max: number): T[] => {
    const out = new Set<T>();
    const n = int(0, Math.min(max, items.length));
    while (out.size < n) out.add(pick(items));
    return [...out];
  };
  return { next, int, pick, chance, some };
}

const idChars = 'aB0_z9Yq';

export function makeWorld(seed: number, prefix: string): World {
  const r = rng(seed);
  const workspaces: WorldWorkspace[] = [];
  for (let w = 0; w < 2; w++) {
    const id = (kind: string, i: number) =>
      `${prefix}${kind}${w}${i}_${Array.from({ length: 3 }, () => r.pick([...idChars])).join('')}`;
    const workspaceId = `${prefix}ws${w}`;
    const teams: WorkspaceAccessFacts['teams'][number][] = [];
    for (let i = 0, n = r.int(0, 5); i < n; i++) {
      const parent = teams.length && r.chance(0.6) ? r.pick(teams).id : null;
      const status = r.chance(0.8) ? 'active' : r.chance(0.75) ? 'suspended' : 'deleted';
      teams.push({ id: id('team', i), name: `Team ${i}`, parentId: parent, status });
    }
    const customRoles: WorkspaceAccessFacts['customRoles'][number][] = [];
    for (let i = 0, n = r.int(0, 2); i < n; i++) {
      customRoles.push({ id: id('role', i), name: `Role ${i}`, permissions: randomRole(r) });
    }
    const roleChoices = [...builtInRoleKeys, ...customRoles.map((c) => c.id)];
    const members: WorkspaceAccessFacts['members'][number][] = [];
    for (let i = 0, n = r.int(2, 8); i < n; i++) {
      members.push({
        userId: id('usr', i),
        name: `User ${i}`,
        status: r.chance(0.8) ? 'active' : r.chance(0.5) ? 'suspended' : 'revoked',
        role: r.pick(roleChoices),
        restrictions: randomRestrictions(r),
      });
    }
    const teamMembers: Array<{ teamId: string; userId: string }> = [];
    if (teams.length) {
      for (const m of members) {
        for (const t of r.some(teams, 2)) teamMembers.push({ teamId: t.id, userId: m.userId });
      }
    }
    const bindings: WorkspaceAccessFacts['bindings'][number][] = [];
    if (customRoles.length) {
      for (let i = 0, n = r.int(0, 3); i < n; i++) {
        const toTeam = teams.length > 0 && r.chance(0.5);
        bindings.push({
          id: id('bind', i),
          roleId: r.pick(customRoles).id,
          subject: toTeam
            ? { type: 'team', id: r.pick(teams).id }
            : { type: 'user', id: r.pick(members).userId },
        });
      }
    }
    const uniqueBindings = bindings.filter(
      (b, i) =>
        bindings.findIndex(
          (o) =>
            o.roleId === b.roleId &&
            o.subject.type === b.subject.type &&
            o.subject.id === b.subject.id,
        ) === i,
    );
    const channels: WorldWorkspace['channels'] = [];
    for (let i = 0, n = r.int(1, 5); i < n; i++) {
      const kind = r.next();
      const owner: OwnerRef =
        kind < 0.6
          ? { type: 'user', userId: r.pick(members).userId }
          : kind < 0.8 && teams.length
            ? { type: 'team', teamId: r.pick(teams).id }
            : { type: 'workspace' };
      channels.push({ id: id('ch', i), owner });
    }
    const chats: WorldChat[] = [];
    for (let i = 0, n = r.int(0, 30); i < n; i++) {
      const channel = r.pick(channels);
      const a = r.next();
      const assignee: AssigneeRef =
        a < 0.4
          ? null
          : a < 0.8 || !teams.length
            ? { type: 'user', userId: r.pick(members).userId }
            : { type: 'team', teamId: r.pick(teams).id };
      // Few distinct minutes, so timestamps collide; several microseconds within one
      // millisecond, so a cursor with millisecond precision would skip or repeat chats.
      const micros = r.chance(0.4) ? '000000' : `123${r.int(0, 2)}${r.int(0, 9)}0`;
      const lastMessageAt = `2026-11-01T10:${String(r.int(0, 5)).padStart(2, '0')}:00.${micros}Z`;
      const digits = `49${r.int(100000000, 999999999)}${i}`;
      chats.push({
        id: id('chat', i),
        workspaceId,
        channelId: channel.id,
        channelOwner: channel.owner,
        assignee,
        participantIds: r.some(members, 2).map((m) => m.userId),
        crmGrantUserIds: r.some(members, 1).map((m) => m.userId),
        externalId: `${digits}@c.us`,
        contactId: id('ct', i),
        phone: `+${digits}`,
        email: `c${i}@${prefix.replace(/_/g, '')}.example`,
        lastMessageAt,
      });
    }
    workspaces.push({
      facts: { workspaceId, members, teams, teamMembers, customRoles, bindings: uniqueBindings },
      channels,
      chats,
    });
  }
  return { prefix, workspaces };
}

function randomRole(r: ReturnType<typeof rng>) {
  const perms: Record<string, Level> = {};
  for (const [permission, allowed] of Object.entries(permissionLevels)) {
    perms[permission] = r.pick(allowed as readonly Level[]);
  }
  // Keep dependencies: nothing above view.
  const cap = (dependent: string, on: string) => {
    const a = perms[dependent] ?? 'none';
    const b = perms[on] ?? 'none';
    if (rank[a] > rank[b])
      perms[dependent] = permissionLevels[dependent as keyof typeof permissionLevels].includes(
        b as never,
      )
        ? b
        : 'none';
  };
  for (const a of chatActions) if (a !== 'chat.view') cap(a, 'chat.view');
  for (const a of channelActions)
    if (a === 'channel.edit' || a === 'channel.connect') cap(a, 'channel.view');
  if (r.chance(0.5)) delete perms['channel.use'];
  return validateRolePermissions(perms);
}

function randomRestrictions(r: ReturnType<typeof rng>): Restrictions {
  const out: Restrictions = {};
  const v = r.next();
  if (v < 0.2) out.chatVisibility = 'self';
  else if (v < 0.4) out.chatVisibility = 'team';
  if (r.chance(0.3)) out.maskContactIdentifiers = true;
  if (r.chance(0.1)) out.noDataExport = true;
  return out;
}

export const allLevels = levels;

/** Writes a world through the same tables the product uses. */
export async function insertWorld(db: Database, world: World): Promise<void> {
  const orgId = `${world.prefix}org`;
  await db.insertInto('organizations').values({ id: orgId, name: 'Org' }).execute();
  const users = new Map<string, string>();
  for (const ws of world.workspaces) for (const m of ws.facts.members) users.set(m.userId, m.name);
  await db
    .insertInto('users')
    .values(
      [...users].map(([id, name], i) => ({
        id,
        name,
        email: `${world.prefix.toLowerCase()}u${i}@example.test`,
      })),
    )
    .execute();
  for (const ws of world.workspaces) {
    const f = ws.facts;
    await db
      .insertInto('workspaces')
      .values({
        id: f.workspaceId,
        organization_id: orgId,
        name: f.workspaceId,
        integration_secret: 's',
      })
      .execute();
    for (const t of f.teams) {
      // Parents first: teams were generated parent-before-child.
      await db
        .insertInto('teams')
        .values({
          id: t.id,
          workspace_id: f.workspaceId,
          name: t.name,
          parent_id: t.parentId,
          status: t.status,
        })
        .execute();
    }
    await db
      .insertInto('memberships')
      .values(
        f.members.map((m) => ({
          workspace_id: f.workspaceId,
          user_id: m.userId,
          role: m.role,
          status: m.status,
          restrictions: JSON.stringify(m.restrictions),
        })),
      )
      .execute();
    if (f.teamMembers.length) {
      await db
        .insertInto('team_members')
        .values(
          f.teamMembers.map((tm) => ({
            workspace_id: f.workspaceId,
            team_id: tm.teamId,
            user_id: tm.userId,
          })),
        )
        .execute();
    }
    if (f.customRoles.length) {
      await db
        .insertInto('roles')
        .values(
          f.customRoles.map((c) => ({
            id: c.id,
            workspace_id: f.workspaceId,
            name: c.name,
            permissions: JSON.stringify(c.permissions),
          })),
        )
        .execute();
    }
    if (f.bindings.length) {
      await db
        .insertInto('role_bindings')
        .values(
          f.bindings.map((b) => ({
            id: b.id,
            workspace_id: f.workspaceId,
            role_id: b.roleId,
            subject_type: b.subject.type,
            subject_id: b.subject.id,
          })),
        )
        .execute();
    }
    await db
      .insertInto('channel_accounts')
      .values(
        ws.channels.map((c) => ({
          id: c.id,
          workspace_id: f.workspaceId,
          type: 'webhook' as const,
          name: c.id,
          owner_type: c.owner.type,
          owner_user_id: c.owner.type === 'user' ? c.owner.userId : null,
          owner_team_id: c.owner.type === 'team' ? c.owner.teamId : null,
          status: 'active' as const,
        })),
      )
      .execute();
    if (!ws.chats.length) continue;
    await db
      .insertInto('contacts')
      .values(
        ws.chats.map((c) => ({
          id: c.contactId,
          workspace_id: f.workspaceId,
          name: c.phone,
          phone: c.phone,
          email: c.email,
        })),
      )
      .execute();
    await db
      .insertInto('chats')
      .values(
        ws.chats.map((c) => ({
          id: c.id,
          workspace_id: f.workspaceId,
          channel_id: c.channelId,
          external_id: c.externalId,
          contact_id: c.contactId,
          last_message_at: c.lastMessageAt,
          last_message_preview: `hello from ${c.phone}`,
        })),
      )
      .execute();
    await assignChats(
      db,
      ws.chats.map((c) => ({ chatId: c.id, assignee: c.assignee })),
    );
    const participants = ws.chats.flatMap((c) =>
      c.participantIds.map((u) => ({ workspace_id: f.workspaceId, chat_id: c.id, user_id: u })),
    );
    if (participants.length)
      await db.insertInto('chat_participants').values(participants).execute();
    const grants = ws.chats.flatMap((c) =>
      (c.crmGrantUserIds ?? []).map((u) => ({
        workspace_id: f.workspaceId,
        chat_id: c.id,
        user_id: u,
        crm_record: 'deal:1',
      })),
    );
    if (grants.length) await db.insertInto('crm_grants').values(grants).execute();
  }
}

/** Newest first, ties by id descending in byte order: the order the list promises. */
export function byRecency(a: WorldChat, b: WorldChat): number {
  if (a.lastMessageAt !== b.lastMessageAt) return a.lastMessageAt < b.lastMessageAt ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
