import type { InboundChannels } from '../../core/chats/inbound-channel.js';
import type { Database } from './database.js';

/** Inbound requests' channel accounts (`core/chats/inbound-channel.ts`) on PostgreSQL. */
export function inboundChannelsStore(db: Database): InboundChannels {
  return {
    async inboundChannel(channelId) {
      const row = await db
        .selectFrom('channel_accounts')
        .select(['id', 'workspace_id', 'type', 'secret', 'status'])
        .where('id', '=', channelId)
        .executeTakeFirst();
      return (
        row && {
          id: row.id,
          workspaceId: row.workspace_id,
          type: row.type,
          secret: row.secret,
          disabled: row.status === 'disabled',
        }
      );
    },
  };
}
