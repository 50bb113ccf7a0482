import { sql } from 'kysely';
import { newId } from '../../core/ids.js';
import type { DeliverWebhookDeps, WebhookDelivery } from '../../core/webhooks/deliver-webhook.js';
import type { Database } from './database.js';

export function webhookStore(db: Database): Omit<DeliverWebhookDeps, 'postSigned'> & {
  create(input: {
    workspaceId: string;
    webhookId: string;
    eventId: string;
    eventType: string;
    chatId: string | null;
    payload: unknown;
  }): Promise<string | undefined>;
  markDead(deliveryId: string): Promise<void>;
  replay(workspaceId: string, webhookId: string, deliveryId: string): Promise<boolean>;
  /** A member of the workspace as webhooks name them (any status); undefined: not a member. */
  member(workspaceId: string, userId: string): Promise<{ name: string; email: string } | undefined>;
} {
  return {
    /**
     * One row per (subscription, event): a second process hearing the same event inserts
     * nothing. Returns the delivery's id while it still waits for its first try — also when the
     * row was already there — so whoever calls may enqueue it again under the same job id
     * (the queue keeps one job per id): a process that inserted the row and died before
     * enqueuing it leaves nothing stuck.
     */
    async create(input) {
      const row = await db
        .insertInto('webhook_deliveries')
        .values({
          id: newId('dlv'),
          workspace_id: input.workspaceId,
          webhook_id: input.webhookId,
          event_id: input.eventId,
          event_type: input.eventType,
          chat_id: input.chatId,
          payload: JSON.stringify(input.payload),
          next_attempt_at: new Date(),
        })
        .onConflict((oc) => oc.columns(['webhook_id', 'event_id']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (row) return row.id;
      const existing = await db
        .selectFrom('webhook_deliveries')
        .select(['id', 'status', 'attempts'])
        .where('webhook_id', '=', input.webhookId)
        .where('event_id', '=', input.eventId)
        .executeTakeFirst();
      return existing?.status === 'pending' && existing.attempts === 0 ? existing.id : undefined;
    },
    async load(deliveryId) {
      const row = await db
        .selectFrom('webhook_deliveries as d')
        .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
        .select([
          'd.id',
          'd.webhook_id',
          'd.chat_id',
          'd.status',
          'd.payload',
          'w.url',
          'w.secret',
          'w.status as webhook_status',
        ])
        .where('d.id', '=', deliveryId)
        .executeTakeFirst();
      if (!row || row.webhook_status !== 'active') return undefined;
      const delivery: WebhookDelivery = {
        id: row.id,
        webhookId: row.webhook_id,
        chatId: row.chat_id,
        status: row.status,
        url: row.url,
        secret: row.secret,
        body: JSON.stringify(row.payload),
      };
      return delivery;
    },
    async earlierUnsettled(delivery) {
      const earlier = await db
        .selectFrom('webhook_deliveries as d')
        .select('d.id')
        .where('d.webhook_id', '=', delivery.webhookId)
        .where('d.chat_id', '=', delivery.chatId)
        .where('d.status', 'in', ['pending', 'failed'])
        .where((eb) =>
          eb(
            'd.created_at',
            '<',
            eb.selectFrom('webhook_deliveries').select('created_at').where('id', '=', delivery.id),
          ),
        )
        .limit(1)
        .executeTakeFirst();
      return earlier !== undefined;
    },
    async recordAttempt(deliveryId, outcome) {
      await db
        .updateTable('webhook_deliveries')
        .set({
          status: outcome.status,
          attempts: sql`attempts + 1`,
          last_status_code: outcome.httpStatus,
          last_error: outcome.error,
          ...(outcome.status === 'succeeded'
            ? { delivered_at: sql`now()`, next_attempt_at: null }
            : outcome.status === 'dead'
              ? { next_attempt_at: null }
              : {}),
        })
        .where('id', '=', deliveryId)
        .execute();
    },
    async markDead(deliveryId) {
      await db
        .updateTable('webhook_deliveries')
        .set({ status: 'dead', next_attempt_at: null })
        .where('id', '=', deliveryId)
        .where('status', '!=', 'succeeded')
        .execute();
    },
    async replay(workspaceId, webhookId, deliveryId) {
      const updated = await db
        .updateTable('webhook_deliveries')
        .set({ status: 'pending', next_attempt_at: sql`now()` })
        .where('workspace_id', '=', workspaceId)
        .where('webhook_id', '=', webhookId)
        .where('id', '=', deliveryId)
        .where('status', 'in', ['dead', 'failed'])
        .executeTakeFirst();
      return Number(updated.numUpdatedRows) > 0;
    },
    async member(workspaceId, userId) {
      return db
        .selectFrom('memberships as m')
        .innerJoin('users as u', 'u.id', 'm.user_id')
        .select(['u.name', 'u.email'])
        .where('m.workspace_id', '=', workspaceId)
        .where('m.user_id', '=', userId)
        .executeTakeFirst();
    },
  };
}
