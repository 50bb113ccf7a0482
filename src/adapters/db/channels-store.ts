import type { Selectable, Transaction } from 'kysely';
import type {
  ChannelRecord,
  ChannelsStore,
  ChannelsTx,
} from '../../core/channels/channels-store.js';
import { newId } from '../../core/ids.js';
import { ownerRef } from './access/load-access.js';
import { writeAudit } from './audit.js';
import type { Database } from './database.js';
import type { DB } from './schema.js';
import type { ChannelAccountsTable } from './tables/channels.table.js';

/** The channel-account actions' store on PostgreSQL (`core/channels/channels-store.ts`). */
export function channelsStore(db: Database): ChannelsStore {
  return {
    async listChannels(workspaceId) {
      const rows = await db
        .selectFrom('channel_accounts')
        .select(columns)
        .where('workspace_id', '=', workspaceId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toRecord);
    },

    async findChannel(workspaceId, channelId) {
      const row = await db
        .selectFrom('channel_accounts')
        .select(columns)
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', channelId)
        .executeTakeFirst();
      return row && toRecord(row);
    },

    transaction: (work) => db.transaction().execute((trx) => work(channelsTx(trx))),
  };
}

const columns = [
  'id',
  'workspace_id',
  'type',
  'name',
  'status',
  'status_detail',
  'settings',
  'owner_type',
  'owner_user_id',
  'owner_team_id',
  'qr',
] as const;

type Row = Pick<Selectable<ChannelAccountsTable>, (typeof columns)[number]>;

const toRecord = (row: Row): ChannelRecord => ({
  id: row.id,
  workspaceId: row.workspace_id,
  owner: ownerRef(row),
  type: row.type,
  name: row.name,
  status: row.status,
  statusDetail: row.status_detail,
  settings: row.settings,
  qr: row.qr,
});

/** The functions that lock take the transaction they lock in; nothing else can reach them. */
function channelsTx(trx: Transaction<DB>): ChannelsTx {
  return {
    async lockChannel(workspaceId, channelId) {
      const row = await trx
        .selectFrom('channel_accounts')
        .select(columns)
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', channelId)
        .forUpdate()
        .executeTakeFirst();
      return row && toRecord(row);
    },

    async insertChannel(c) {
      const row = await trx
        .insertInto('channel_accounts')
        .values({
          id: newId('ch'),
          workspace_id: c.workspaceId,
          type: c.type,
          name: c.name,
          owner_type: c.owner.type,
          owner_user_id: c.owner.type === 'user' ? c.owner.userId : null,
          owner_team_id: c.owner.type === 'team' ? c.owner.teamId : null,
          connected_by: c.connectedBy,
          status: c.status,
          secret: c.secret,
          outbound_url: c.outboundUrl,
          ...(c.settings ? { settings: JSON.stringify(c.settings) } : {}),
        })
        .returning(columns)
        .executeTakeFirstOrThrow();
      return toRecord(row);
    },

    async setSettings(workspaceId, channelId, settings, at) {
      const row = await trx
        .updateTable('channel_accounts')
        .set({ settings: JSON.stringify(settings), updated_at: at })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', channelId)
        .returning(columns)
        .executeTakeFirstOrThrow();
      return toRecord(row);
    },

    async setStatus(workspaceId, channelId, status, at) {
      const row = await trx
        .updateTable('channel_accounts')
        .set({ status, status_detail: null, qr: null, qr_updated_at: null, updated_at: at })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', channelId)
        .returning(columns)
        .executeTakeFirstOrThrow();
      return toRecord(row);
    },

    async forgetSession(workspaceId, channelId) {
      await trx
        .deleteFrom('whatsapp_sessions')
        .where('workspace_id', '=', workspaceId)
        .where('channel_id', '=', channelId)
        .execute();
    },

    audit: (entry) => writeAudit(trx, entry),
  };
}
