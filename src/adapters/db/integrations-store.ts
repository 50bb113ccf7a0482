import type { Selectable, Transaction } from 'kysely';
import { newId } from '../../core/ids.js';
import type {
  IntegrationRecord,
  IntegrationsStore,
  IntegrationsTx,
  PipedriveSettings,
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
    async find(integrationId) {
      const row = await db
        .selectFrom('integrations')
        .selectAll()
        .where('id', '=', integrationId)
        .executeTakeFirst();
      return row && toRecord(row);
    },
    async memberOfCrmUser(integrationId, crmUserId) {
      const row = await db
        .selectFrom('integration_users')
        .select('user_id')
        .where('integration_id', '=', integrationId)
        .where('crm_user_id', '=', crmUserId)
        .executeTakeFirst();
      return row?.user_id;
    },
  };
}

function integrationsTx(trx: Transaction<DB>): IntegrationsTx {
  return {
    async insert(integration) {
      const { workspaceId, createdBy, name } = integration;
      const row = await trx
        .insertInto('integrations')
        .values({
          id: newId('int'),
          workspace_id: workspaceId,
          type: integration.type,
          name,
          slack_team_id: integration.type === 'slack' ? integration.teamId : null,
          secret: integration.type === 'crm' ? integration.secret : null,
          config: JSON.stringify(
            integration.type === 'pipedrive' ? pipedriveConfig(integration) : {},
          ),
          created_by: createdBy,
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
    async lock(workspaceId, integrationId) {
      const row = await trx
        .selectFrom('integrations')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', integrationId)
        .forUpdate()
        .executeTakeFirst();
      return row && toRecord(row);
    },
    async mapCrmUser({ integrationId, workspaceId, crmUserId, userId }) {
      await trx
        .insertInto('integration_users')
        .values({
          integration_id: integrationId,
          workspace_id: workspaceId,
          crm_user_id: crmUserId,
          user_id: userId,
        })
        .onConflict((oc) =>
          oc.columns(['integration_id', 'crm_user_id']).doUpdateSet({ user_id: userId }),
        )
        .execute();
    },
    audit: (entry) => writeAudit(trx, entry),
  };
}

function pipedriveConfig(settings: PipedriveSettings): PipedriveSettings {
  return {
    companyId: settings.companyId,
    apiBaseUrl: settings.apiBaseUrl,
    ...(settings.jwtSecret ? { jwtSecret: settings.jwtSecret } : {}),
    ...(settings.basicAuth ? { basicAuth: settings.basicAuth } : {}),
    ...(settings.apiToken ? { apiToken: settings.apiToken } : {}),
  };
}

function toRecord(row: Selectable<IntegrationsTable>): IntegrationRecord {
  const base = { id: row.id, workspaceId: row.workspace_id, name: row.name };
  switch (row.type) {
    case 'slack':
      return { ...base, type: 'slack', teamId: row.slack_team_id ?? '' };
    case 'crm':
      return { ...base, type: 'crm', secret: row.secret ?? '' };
    case 'pipedrive': {
      const config = row.config as unknown as PipedriveSettings;
      return { ...base, type: 'pipedrive', ...pipedriveConfig(config) };
    }
  }
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

/**
 * Whether a signed request's signature is new: true the first time it is seen, false for a
 * replay. Signatures older than the signing window (5 minutes) are forgotten, since a request
 * that old is refused for its timestamp anyway.
 */
export async function firstSighting(
  db: Database,
  integrationId: string,
  signature: string,
): Promise<boolean> {
  const inserted = await db
    .insertInto('signed_request_replays')
    .values({ integration_id: integrationId, signature })
    .onConflict((oc) => oc.columns(['integration_id', 'signature']).doNothing())
    .returning('signature')
    .executeTakeFirst();
  if (Math.random() < 0.01) {
    await db
      .deleteFrom('signed_request_replays')
      .where('seen_at', '<', new Date(Date.now() - 10 * 60_000))
      .execute();
  }
  return inserted !== undefined;
}
