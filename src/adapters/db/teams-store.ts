import { sql, type Transaction } from 'kysely';
import { newId } from '../../core/ids.js';
import type { TeamsStore, TeamsTx } from '../../core/teams/teams-store.js';
import { writeAudit } from './audit.js';
import type { Database } from './database.js';
import { recordJob } from './jobs.js';
import type { DB } from './schema.js';

/** The team and role admin actions' store on PostgreSQL (`core/teams/teams-store.ts`). */
export function teamsStore(db: Database): TeamsStore {
  return {
    transaction: (work) => db.transaction().execute((trx) => work(teamsTx(trx))),
  };
}

/** The functions that lock take the transaction they lock in; nothing else can reach them. */
function teamsTx(trx: Transaction<DB>): TeamsTx {
  return {
    async lockTeam(workspaceId, teamId) {
      const row = await trx
        .selectFrom('teams')
        .select(['id', 'name', 'parent_id', 'status'])
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', teamId)
        .forUpdate()
        .executeTakeFirst();
      return row && { id: row.id, name: row.name, parentId: row.parent_id, status: row.status };
    },

    async lockMember(workspaceId, userId) {
      const row = await trx
        .selectFrom('memberships')
        .select('status')
        .where('workspace_id', '=', workspaceId)
        .where('user_id', '=', userId)
        .forShare()
        .executeTakeFirst();
      return row?.status;
    },

    async insertTeam({ workspaceId, name, parentId }) {
      const t = await trx
        .insertInto('teams')
        .values({ id: newId('team'), workspace_id: workspaceId, name, parent_id: parentId })
        .returningAll()
        .executeTakeFirstOrThrow();
      // Keep the closure table: the team itself, and every ancestor of its parent.
      await sql`
        insert into team_tree (workspace_id, ancestor_id, descendant_id, depth)
        select ${workspaceId}, ${t.id}, ${t.id}, 0
        union all
        select workspace_id, ancestor_id, ${t.id}, depth + 1 from team_tree where descendant_id = ${parentId}
      `.execute(trx);
      return { id: t.id, name: t.name, parentId: t.parent_id, status: t.status };
    },

    async setTeamStatus(workspaceId, teamId, status) {
      await trx
        .updateTable('teams')
        .set({ status, updated_at: sql`now()` })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', teamId)
        .execute();
    },

    async addTeamMember(workspaceId, teamId, userId) {
      await trx
        .insertInto('team_members')
        .values({ workspace_id: workspaceId, team_id: teamId, user_id: userId })
        .onConflict((oc) => oc.doNothing())
        .execute();
    },

    async removeTeamMember(workspaceId, teamId, userId) {
      await trx
        .deleteFrom('team_members')
        .where('workspace_id', '=', workspaceId)
        .where('team_id', '=', teamId)
        .where('user_id', '=', userId)
        .execute();
    },

    async insertRole({ workspaceId, name, permissions }) {
      const row = await trx
        .insertInto('roles')
        .values({
          id: newId('role'),
          workspace_id: workspaceId,
          name,
          permissions: JSON.stringify(permissions),
        })
        .returning(['id', 'name'])
        .executeTakeFirstOrThrow();
      return { id: row.id, name: row.name, permissions };
    },

    async insertBinding({ workspaceId, roleId, subject, createdBy }) {
      const row = await trx
        .insertInto('role_bindings')
        .values({
          id: newId('bind'),
          workspace_id: workspaceId,
          role_id: roleId,
          subject_type: subject.type,
          subject_id: subject.id,
          created_by: createdBy,
        })
        .onConflict((oc) =>
          oc.columns(['workspace_id', 'role_id', 'subject_type', 'subject_id']).doNothing(),
        )
        .returningAll()
        .executeTakeFirst();
      return (
        row && {
          id: row.id,
          roleId: row.role_id,
          subject: { type: row.subject_type, id: row.subject_id },
        }
      );
    },

    recordJob: (job) => recordJob(trx, job),
    audit: (entry) => writeAudit(trx, entry),
  };
}
