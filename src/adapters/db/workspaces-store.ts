import { randomBytes } from 'node:crypto';
import type { Transaction } from 'kysely';
import { newId } from '../../core/ids.js';
import type {
  WorkspaceRecord,
  WorkspacesStore,
  WorkspacesTx,
} from '../../core/workspaces/workspaces-store.js';
import { writeAudit } from './audit.js';
import type { Database } from './database.js';
import type { DB } from './schema.js';
import { findOrCreateUser, issueToken, joinOrganization } from './users.js';

const workspaceRecord = (w: {
  id: string;
  organization_id: string;
  name: string;
  created_at: Date;
}): WorkspaceRecord => ({
  id: w.id,
  organizationId: w.organization_id,
  name: w.name,
  createdAt: w.created_at,
});

/** The tenancy actions' store on PostgreSQL (`core/workspaces/workspaces-store.ts`). */
export function workspacesStore(db: Database): WorkspacesStore {
  return {
    transaction: (work) => db.transaction().execute((trx) => work(workspacesTx(trx))),

    async memberWorkspaceIds(organizationId, userId) {
      const rows = await db
        .selectFrom('memberships as m')
        .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
        .select('m.workspace_id')
        .where('w.organization_id', '=', organizationId)
        .where('m.user_id', '=', userId)
        .where('m.status', '=', 'active')
        .execute();
      return rows.map((r) => r.workspace_id);
    },

    async findWorkspace(workspaceId) {
      const row = await db
        .selectFrom('workspaces')
        .select(['id', 'organization_id', 'name', 'created_at'])
        .where('id', '=', workspaceId)
        .executeTakeFirst();
      return row && workspaceRecord(row);
    },
  };
}

function workspacesTx(trx: Transaction<DB>): WorkspacesTx {
  return {
    async insertOrganization({ name }) {
      const row = await trx
        .insertInto('organizations')
        .values({ id: newId('org'), name })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { id: row.id, name: row.name, createdAt: row.created_at };
    },

    async insertWorkspace({ organizationId, name }) {
      const row = await trx
        .insertInto('workspaces')
        .values({
          id: newId('ws'),
          organization_id: organizationId,
          name,
          integration_secret: randomBytes(32).toString('hex'),
        })
        .returning(['id', 'organization_id', 'name', 'created_at'])
        .executeTakeFirstOrThrow();
      return workspaceRecord(row);
    },

    async findOrCreateUser(person) {
      const u = await findOrCreateUser(trx, person);
      return { id: u.id, email: u.email, name: u.name };
    },

    joinOrganization: (organizationId, userId) => joinOrganization(trx, organizationId, userId),

    async addOwner(workspaceId, userId) {
      await trx
        .insertInto('memberships')
        .values({ workspace_id: workspaceId, user_id: userId, role: 'owner', status: 'active' })
        .execute();
    },

    issueToken: (userId, label) => issueToken(trx, userId, label),
    audit: (entry) => writeAudit(trx, entry),
  };
}
