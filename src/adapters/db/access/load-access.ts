import {
  noPermissions,
  parseStoredRestrictions,
  validateRolePermissions,
  type AccessFactsSource,
  type ChatFacts,
  type OwnerRef,
  type WorkspaceAccessFacts,
} from '../../../core/access/index.js';
import { executePrepared, type Database } from '../database.js';
import { sql, type Transaction } from 'kysely';
import type { DB } from '../schema.js';

type Queryable = Database | Transaction<DB>;

/** Everything about a workspace's people that access depends on: five small queries. */
export async function loadWorkspaceAccess(
  db: Queryable,
  workspaceId: string,
): Promise<WorkspaceAccessFacts> {
  const [members, teams, teamMembers, roles, bindings] = await Promise.all([
    db
      .selectFrom('memberships as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select(['m.user_id', 'u.name', 'm.status', 'm.role', 'm.restrictions'])
      .where('m.workspace_id', '=', workspaceId)
      .execute(),
    db
      .selectFrom('teams')
      .select(['id', 'name', 'parent_id', 'status'])
      .where('workspace_id', '=', workspaceId)
      .execute(),
    db
      .selectFrom('team_members')
      .select(['team_id', 'user_id'])
      .where('workspace_id', '=', workspaceId)
      .execute(),
    db
      .selectFrom('roles')
      .select(['id', 'name', 'permissions'])
      .where('workspace_id', '=', workspaceId)
      .execute(),
    db
      .selectFrom('role_bindings')
      .select(['id', 'role_id', 'subject_type', 'subject_id'])
      .where('workspace_id', '=', workspaceId)
      .execute(),
  ]);
  return {
    workspaceId,
    members: members.map((m) => ({
      userId: m.user_id,
      name: m.name,
      status: m.status,
      role: m.role,
      restrictions: parseStoredRestrictions(m.restrictions),
    })),
    teams: teams.map((t) => ({ id: t.id, name: t.name, parentId: t.parent_id, status: t.status })),
    teamMembers: teamMembers.map((t) => ({ teamId: t.team_id, userId: t.user_id })),
    customRoles: roles.map((r) => ({
      id: r.id,
      name: r.name,
      permissions: storedPermissions(r.permissions),
    })),
    bindings: bindings.map((b) => ({
      id: b.id,
      roleId: b.role_id,
      subject: { type: b.subject_type, id: b.subject_id },
    })),
  };
}

/** Roles are validated when saved; one that no longer validates (an older release) grants nothing. */
function storedPermissions(value: Record<string, string>) {
  try {
    return validateRolePermissions(value);
  } catch {
    return noPermissions();
  }
}

export function ownerRef(row: {
  owner_type: string;
  owner_user_id: string | null;
  owner_team_id: string | null;
}): OwnerRef {
  if (row.owner_type === 'user' && row.owner_user_id)
    return { type: 'user', userId: row.owner_user_id };
  if (row.owner_type === 'team' && row.owner_team_id)
    return { type: 'team', teamId: row.owner_team_id };
  return { type: 'workspace' };
}

/** The facts `check` needs about chats of one workspace; chats of other workspaces are not found. */
export async function loadChatFacts(
  db: Queryable,
  workspaceId: string,
  chatIds: readonly string[],
): Promise<ChatFacts[]> {
  if (chatIds.length === 0) return [];
  // One statement text for any number of chats (an array parameter, not an IN list), run as a
  // prepared statement: every chat route and event fan-out reads facts this way, and planning
  // the joins and two subqueries cost about as much as running them.
  const rows = await executePrepared(
    db,
    chatFactsQuery(db, workspaceId).where(
      'a.chat_id',
      '=',
      sql<string>`any(${[...chatIds]}::text[])`,
    ),
  );
  return toChatFacts(rows);
}

/**
 * Read from the chat's narrow `chat_assignments` row, which carries its workspace and account
 * (kept by the database, migrations 0007 and 0009), not from the wide chats row: facts for a
 * chat nobody looked at lately then touch one table fewer that is unlikely to be in memory.
 */
function chatFactsQuery(db: Queryable, workspaceId: string) {
  return db
    .selectFrom('chat_assignments as a')
    .innerJoin('channel_accounts as ca', 'ca.id', 'a.channel_id')
    .select((eb) => [
      'a.chat_id as id',
      'a.workspace_id',
      'a.channel_id',
      'a.user_id as assignee_user_id',
      'a.team_id as assignee_team_id',
      'ca.owner_type',
      'ca.owner_user_id',
      'ca.owner_team_id',
      eb
        .selectFrom('chat_participants as cp')
        .select((e) =>
          e.fn
            .coalesce(e.fn.agg<string[]>('array_agg', ['cp.user_id']), e.val<string[]>([]))
            .as('ids'),
        )
        .whereRef('cp.chat_id', '=', 'a.chat_id')
        .as('participant_ids'),
      eb
        .selectFrom('crm_grants as g')
        .select((e) =>
          e.fn
            .coalesce(e.fn.agg<string[]>('array_agg', ['g.user_id']), e.val<string[]>([]))
            .as('ids'),
        )
        .whereRef('g.chat_id', '=', 'a.chat_id')
        .where((e) => e.or([e('g.expires_at', 'is', null), e('g.expires_at', '>', new Date())]))
        .as('crm_grant_user_ids'),
    ])
    .where('a.workspace_id', '=', workspaceId);
}

type ChatFactsRow = Awaited<ReturnType<ReturnType<typeof chatFactsQuery>['execute']>>[number];

function toChatFacts(rows: readonly ChatFactsRow[]): ChatFacts[] {
  return rows.map((r) => ({
    id: r.id,
    workspaceId: r.workspace_id,
    channelId: r.channel_id,
    channelOwner: ownerRef(r),
    assignee: r.assignee_user_id
      ? { type: 'user', userId: r.assignee_user_id }
      : r.assignee_team_id
        ? { type: 'team', teamId: r.assignee_team_id }
        : null,
    participantIds: r.participant_ids ?? [],
    crmGrantUserIds: r.crm_grant_user_ids ?? [],
  }));
}

/** The database as the policy's fact source. */
export function accessFactsSource(db: Queryable): AccessFactsSource {
  return {
    workspaceAccess: (workspaceId) => loadWorkspaceAccess(db, workspaceId),
    chatFacts: (workspaceId, chatIds) => loadChatFacts(db, workspaceId, chatIds),
  };
}
