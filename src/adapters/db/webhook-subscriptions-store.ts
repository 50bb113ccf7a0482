import type { Selectable, Transaction } from 'kysely';
import { newId } from '../../core/ids.js';
import type {
  WebhookRecord,
  WebhooksStore,
  WebhooksTx,
} from '../../core/webhooks/webhooks-store.js';
import { writeAudit } from './audit.js';
import type { Database } from './database.js';
import type { DB } from './schema.js';

const webhookRecord = (w: Selectable<DB['webhooks']>): WebhookRecord => ({
  id: w.id,
  url: w.url,
  events: w.events,
  status: w.status,
  createdBy: w.created_by,
  asUserId: w.as_user_id,
  createdAt: w.created_at,
});

/** The webhook subscription actions' store on PostgreSQL (`core/webhooks/webhooks-store.ts`). */
export function webhookSubscriptionsStore(db: Database): WebhooksStore {
  return {
    transaction: (work) => db.transaction().execute((trx) => work(webhooksTx(trx))),

    async listWebhooks(workspaceId) {
      const rows = await db
        .selectFrom('webhooks')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .orderBy('created_at', 'desc')
        .execute();
      return rows.map(webhookRecord);
    },

    async findWebhook(workspaceId, webhookId) {
      const row = await db
        .selectFrom('webhooks')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', webhookId)
        .executeTakeFirst();
      return row && webhookRecord(row);
    },

    async listDeliveries(workspaceId, webhookId, { limit, cursor }) {
      let query = db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('webhook_id', '=', webhookId)
        .where('workspace_id', '=', workspaceId);
      if (cursor) query = query.where('id', '<', cursor);
      const rows = await query
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      return {
        items: rows.slice(0, limit).map((d) => ({
          id: d.id,
          eventId: d.event_id,
          eventType: d.event_type,
          chatId: d.chat_id,
          status: d.status,
          attempts: d.attempts,
          lastStatusCode: d.last_status_code,
          lastError: d.last_error,
          createdAt: d.created_at,
          deliveredAt: d.delivered_at,
        })),
        nextCursor: rows.length > limit ? (rows[limit - 1]?.id ?? null) : null,
      };
    },
  };
}

function webhooksTx(trx: Transaction<DB>): WebhooksTx {
  return {
    async insertWebhook({ workspaceId, url, events, secret, createdBy, asUserId }) {
      const row = await trx
        .insertInto('webhooks')
        .values({
          id: newId('wh'),
          workspace_id: workspaceId,
          url,
          events,
          secret,
          created_by: createdBy,
          as_user_id: asUserId,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return webhookRecord(row);
    },
    audit: (entry) => writeAudit(trx, entry),
  };
}
