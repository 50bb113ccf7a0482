import { sql, type Transaction } from 'kysely';
import { isBuiltInRole, parseStoredRestrictions } from '../../core/access/index.js';
import { newId } from '../../core/ids.js';
import type { MemberRecord, PeopleStore, PeopleTx } from '../../core/people/people-store.js';
import type {
  DirectoryInvitation,
  DirectoryMember,
  MemberDirectorySource,
} from '../../core/people/list-members.js';
import { writeAudit } from './audit.js';
import type { Database } from './database.js';
import { recordJob } from './jobs.js';
import { findOrCreateUser, issueToken, joinOrganization } from './users.js';
import type { DB } from './schema.js';

/** The people actions' store on PostgreSQL (`core/people/people-store.ts`). */
export function peopleStore(db: Database): PeopleStore {
  return {
    transaction: (work) => db.transaction().execute((trx) => work(peopleTx(trx))),
  };
}

/** The functions that lock take the transaction they lock in; nothing else can reach them. */
function peopleTx(trx: Transaction<DB>): PeopleTx {
  return {
    async lockMembers(workspaceId, ids) {
      // In user_id order, so two actions wanting overlapping rows queue instead of
      // deadlocking. Under READ COMMITTED a row changed by a transaction we waited for is
      // re-read and re-tested once the lock is ours: an Owner demoted or revoked meanwhile
      // drops out of the Owners counted here. (One promoted meanwhile may be missed: the count
      // errs towards refusing.)
      const rows = await trx
        .selectFrom('memberships')
        .select(['user_id', 'role', 'status', 'restrictions', 'capacity'])
        .where('workspace_id', '=', workspaceId)
        .where((eb) =>
          eb.or([
            eb('user_id', 'in', [ids.target, ids.actor]),
            eb.and([eb('role', '=', 'owner'), eb('status', '=', 'active')]),
          ]),
        )
        .orderBy('user_id')
        .forUpdate()
        .execute();
      const record = (userId: string): MemberRecord | undefined => {
        const row = rows.find((r) => r.user_id === userId);
        return row
          ? {
              userId: row.user_id,
              role: row.role,
              status: row.status,
              restrictions: parseStoredRestrictions(row.restrictions),
              capacity: row.capacity,
            }
          : undefined;
      };
      return {
        target: record(ids.target),
        actor: record(ids.actor),
        activeOwnerCount: rows.filter((r) => r.role === 'owner' && r.status === 'active').length,
      };
    },

    async roleExists(workspaceId, role) {
      if (isBuiltInRole(role)) return true;
      const found = await trx
        .selectFrom('roles')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', role)
        .executeTakeFirst();
      return found !== undefined;
    },

    async updateMember(workspaceId, userId, change) {
      await trx
        .updateTable('memberships')
        .set({
          ...(change.role !== undefined ? { role: change.role } : {}),
          ...(change.restrictions !== undefined
            ? { restrictions: JSON.stringify(change.restrictions) }
            : {}),
          ...(change.capacity !== undefined ? { capacity: change.capacity } : {}),
          ...(change.status !== undefined ? { status: change.status } : {}),
          ...(change.suspendedAt !== undefined ? { suspended_at: change.suspendedAt } : {}),
          ...(change.revokedAt !== undefined ? { revoked_at: change.revokedAt } : {}),
          updated_at: sql`now()`,
        })
        .where('workspace_id', '=', workspaceId)
        .where('user_id', '=', userId)
        .execute();
    },

    async activeTeamIds(workspaceId, teamIds) {
      const rows = await trx
        .selectFrom('teams')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('id', 'in', teamIds)
        .where('status', '=', 'active')
        .execute();
      return rows.map((r) => r.id);
    },

    async memberStatusByEmail(workspaceId, email) {
      const row = await trx
        .selectFrom('memberships as m')
        .innerJoin('users as u', 'u.id', 'm.user_id')
        .select('m.status')
        .where('m.workspace_id', '=', workspaceId)
        .where('u.email', '=', email)
        .executeTakeFirst();
      return row?.status;
    },

    async replaceInvitation(invitation) {
      await trx
        .updateTable('invitations')
        .set({ status: 'cancelled' })
        .where('workspace_id', '=', invitation.workspaceId)
        .where('email', '=', invitation.email)
        .where('status', '=', 'pending')
        .execute();
      const { id } = await trx
        .insertInto('invitations')
        .values({
          id: newId('inv'),
          workspace_id: invitation.workspaceId,
          email: invitation.email,
          name: invitation.name,
          role: invitation.role,
          team_ids: [...invitation.teamIds],
          restrictions: JSON.stringify(invitation.restrictions),
          token_hash: invitation.tokenHash,
          invited_by: invitation.invitedBy,
          expires_at: invitation.expiresAt,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return id;
    },

    async lockInvitation(tokenHash) {
      const row = await trx
        .selectFrom('invitations')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .forUpdate()
        .executeTakeFirst();
      return row
        ? {
            id: row.id,
            workspaceId: row.workspace_id,
            email: row.email,
            name: row.name,
            role: row.role,
            teamIds: row.team_ids,
            restrictions: parseStoredRestrictions(row.restrictions),
            status: row.status,
            expiresAt: row.expires_at,
          }
        : undefined;
    },

    async findOrCreateUser(person) {
      const found = await findOrCreateUser(trx, person);
      return { id: found.id, email: found.email, name: found.name };
    },

    async joinWorkspace(invitation, userId) {
      const ws = await trx
        .selectFrom('workspaces')
        .select('organization_id')
        .where('id', '=', invitation.workspaceId)
        .executeTakeFirstOrThrow();
      await joinOrganization(trx, ws.organization_id, userId);
      const restrictions = JSON.stringify(invitation.restrictions);
      await trx
        .insertInto('memberships')
        .values({
          workspace_id: invitation.workspaceId,
          user_id: userId,
          role: invitation.role,
          status: 'active',
          restrictions,
        })
        .onConflict((oc) =>
          oc.columns(['workspace_id', 'user_id']).doUpdateSet({
            role: invitation.role,
            status: 'active',
            restrictions,
            revoked_at: null,
            suspended_at: null,
            updated_at: sql`now()`,
          }),
        )
        .execute();
      const teams = invitation.teamIds.length
        ? await trx
            .selectFrom('teams')
            .select('id')
            .where('workspace_id', '=', invitation.workspaceId)
            .where('id', 'in', invitation.teamIds)
            .where('status', '=', 'active')
            .execute()
        : [];
      if (teams.length) {
        await trx
          .insertInto('team_members')
          .values(
            teams.map((t) => ({
              workspace_id: invitation.workspaceId,
              team_id: t.id,
              user_id: userId,
            })),
          )
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
    },

    async markInvitationAccepted(invitationId, at) {
      await trx
        .updateTable('invitations')
        .set({ status: 'accepted', accepted_at: at })
        .where('id', '=', invitationId)
        .execute();
    },

    issueToken: (userId, label) => issueToken(trx, userId, label),

    recordJob: (job) => recordJob(trx, job),
    audit: (entry) => writeAudit(trx, entry),
  };
}

/**
 * Everyone of the workspace as the member list shows them: memberships with their users (by
 * name), team memberships, and pending invitations not yet expired (oldest first).
 */
export async function memberDirectory(
  db: Database,
  workspaceId: string,
  now: Date,
): Promise<{ members: DirectoryMember[]; invitations: DirectoryInvitation[] }> {
  const [members, teams, invitations] = await Promise.all([
    db
      .selectFrom('memberships as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select([
        'u.id',
        'u.email',
        'u.name',
        'm.role',
        'm.status',
        'm.restrictions',
        'm.last_seen_at',
      ])
      .where('m.workspace_id', '=', workspaceId)
      .orderBy('u.name')
      .orderBy('u.id')
      .execute(),
    db
      .selectFrom('team_members')
      .select(['user_id', 'team_id'])
      .where('workspace_id', '=', workspaceId)
      .execute(),
    db
      .selectFrom('invitations')
      .select(['id', 'email', 'name', 'role', 'team_ids', 'restrictions'])
      .where('workspace_id', '=', workspaceId)
      .where('status', '=', 'pending')
      .where('expires_at', '>', now)
      .orderBy('created_at')
      .execute(),
  ]);
  const teamIdsOf = new Map<string, string[]>();
  for (const t of teams) {
    const ids = teamIdsOf.get(t.user_id);
    if (ids) ids.push(t.team_id);
    else teamIdsOf.set(t.user_id, [t.team_id]);
  }
  return {
    members: members.map((m) => ({
      userId: m.id,
      email: m.email,
      name: m.name,
      role: m.role,
      status: m.status,
      teamIds: teamIdsOf.get(m.id) ?? [],
      restrictions: m.restrictions,
      lastSeenAt: m.last_seen_at,
    })),
    invitations: invitations.map((i) => ({
      invitationId: i.id,
      email: i.email,
      name: i.name,
      role: i.role,
      teamIds: i.team_ids,
      restrictions: i.restrictions,
    })),
  };
}

/** The member list's port (`listMembers`), over `memberDirectory`. */
export const memberDirectorySource = (db: Database): MemberDirectorySource => ({
  memberDirectory: (workspaceId, now) => memberDirectory(db, workspaceId, now),
});
