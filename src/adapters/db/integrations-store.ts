import type { Selectable, Transaction } from 'kysely';
import { newId } from '../../core/ids.js';
import type {
  IntegrationRecord,
  IntegrationsStore,
  IntegrationsTx,
} from '../../core/integrations/integrations-store.js';
import { writeAudit } from './audit.js';
import type { Database } from './database.js';
import type { DB } from './schema.js';
import type { IntegrationsTable } from './tables/tenancy.table.js';

/** Integrations on PostgreSQL (`core/integrations/integrations-store.ts`). */
export function integrationsStore(db: Database): IntegrationsStore {
  return {
    transaction: (work) => db.transaction().execute((trx) => work(integrationsTx(trx))),
    async list(workspaceId) {
      const rows = await db
        .selectFrom('integrations')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toRecord);
    },
  };
}

function integrationsTx(trx: Transaction<DB>): IntegrationsTx {
  return {
    async insertSlack(link) {
      const row = await trx
        .insertInto('integrations')
        .values({
          id: newId('int'),
          workspace_id: link.workspaceId,
          type: 'slack',
          name: link.name,
          slack_team_id: link.teamId,
          created_by: link.createdBy,
        })
        .onConflict((oc) =>
          oc.column('slack_team_id').where('slack_team_id', 'is not', null).doNothing(),
        )
        .returningAll()
        .executeTakeFirst();
      return row ? toRecord(row) : 'taken';
    },
    async remove(workspaceId, integrationId) {
      const row = await trx
        .deleteFrom('integrations')
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', integrationId)
        .returningAll()
        .executeTakeFirst();
      return row && toRecord(row);
    },
    audit: (entry) => writeAudit(trx, entry),
  };
}

function toRecord(row: Selectable<IntegrationsTable>): IntegrationRecord {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    type: 'slack',
    name: row.name,
    teamId: row.slack_team_id ?? '',
  };
}

/** The workspace a Slack team is linked to, if any (who a slash command acts on). */
export async function workspaceOfSlackTeam(
  db: Database,
  teamId: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('integrations')
    .select('workspace_id')
    .where('slack_team_id', '=', teamId)
    .executeTakeFirst();
  return row?.workspace_id;
}
