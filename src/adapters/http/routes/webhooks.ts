import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../../core/errors.js';
import { newId } from '../../../core/ids.js';
import { checkPermission } from '../../../core/access/index.js';
import { writeAudit } from '../../db/audit.js';
import { requireMember, type HttpDeps } from '../context.js';
import { id, iso, wsParams } from '../schemas.js';

/** Event types a subscription may ask for; `*` is all of them. */
export const webhookEventTypes = [
  'chat.created',
  'message.created',
  'chat.assignee_changed',
  'chat.participant_added',
] as const;

const webhook = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  status: z.enum(['active', 'disabled']),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
});

/**
 * Webhook subscriptions for CRM panels and automations. A subscription acts as the user who
 * created it: it will carry only events of chats that user may see, redacted for them.
 */
export function webhookRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/v1/workspaces/:ws/webhooks',
    {
      schema: {
        summary: 'Subscribe a URL to events (HMAC-SHA256 signed like inbound webhooks)',
        params: wsParams,
        body: z.object({
          url: z.url({ protocol: /^https?$/ }).max(2000),
          events: z
            .array(z.enum([...webhookEventTypes, '*']))
            .min(1)
            .max(20),
          secret: z.string().min(16).max(200).optional(),
        }),
        response: { 201: z.object({ webhook: webhook.extend({ secret: z.string() }) }) },
      },
    },
    async (request, reply) => {
      const { ws } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      const decision = checkPermission(principal, 'integrations.manage');
      if (!decision.allowed)
        throw new AppError(
          'forbidden',
          `webhooks need integrations.manage: ${decision.reasons.join('; ')}`,
        );
      const secret = request.body.secret ?? randomBytes(32).toString('hex');
      const events = request.body.events.includes('*') ? ['*'] : [...new Set(request.body.events)];
      const row = await deps.db.transaction().execute(async (trx) => {
        const created = await trx
          .insertInto('webhooks')
          .values({
            id: newId('wh'),
            workspace_id: ws,
            url: request.body.url,
            events,
            secret,
            created_by: principal.userId,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await writeAudit(trx, {
          workspaceId: ws,
          actorUserId: principal.userId,
          action: 'webhook.create',
          targetType: 'webhook',
          targetId: created.id,
          after: { url: created.url, events },
        });
        return created;
      });
      return reply.status(201).send({
        webhook: {
          id: row.id,
          url: row.url,
          events: row.events,
          status: row.status,
          createdBy: row.created_by,
          createdAt: iso(row.created_at),
          secret,
        },
      });
    },
  );

  r.get(
    '/v1/workspaces/:ws/webhooks',
    {
      schema: {
        summary: 'Webhook subscriptions (secrets are shown only at creation)',
        params: wsParams,
        response: { 200: z.object({ items: z.array(webhook) }) },
      },
    },
    async (request) => {
      const { ws } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      if (!checkPermission(principal, 'integrations.manage').allowed)
        throw new AppError('forbidden', 'webhooks need integrations.manage');
      const rows = await deps.db
        .selectFrom('webhooks')
        .selectAll()
        .where('workspace_id', '=', ws)
        .orderBy('created_at', 'desc')
        .execute();
      return {
        items: rows.map((w) => ({
          id: w.id,
          url: w.url,
          events: w.events,
          status: w.status,
          createdBy: w.created_by,
          createdAt: iso(w.created_at),
        })),
      };
    },
  );

  const hookParams = z.object({ ws: id, webhookId: id });
  const delivery = z.object({
    id: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    chatId: z.string().nullable(),
    status: z.enum(['pending', 'succeeded', 'failed', 'dead']),
    attempts: z.number(),
    lastStatusCode: z.number().nullable(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    deliveredAt: z.string().nullable(),
  });

  async function requireHook(request: FastifyRequest, ws: string, webhookId: string) {
    const { principal } = await requireMember(deps, request, ws);
    if (!checkPermission(principal, 'integrations.manage').allowed)
      throw new AppError('forbidden', 'webhooks need integrations.manage');
    const hook = await deps.db
      .selectFrom('webhooks')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('id', '=', webhookId)
      .executeTakeFirst();
    if (!hook) throw new AppError('not_found', 'no such webhook');
  }

  r.get(
    '/v1/workspaces/:ws/webhooks/:webhookId/deliveries',
    {
      schema: {
        summary: 'Deliveries of a subscription, newest first (dead ones are replayable)',
        params: hookParams,
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(200).default(50),
          cursor: z.string().max(200).optional(),
        }),
        response: {
          200: z.object({ items: z.array(delivery), nextCursor: z.string().nullable() }),
        },
      },
    },
    async (request) => {
      const { ws, webhookId } = request.params;
      await requireHook(request, ws, webhookId);
      const { limit, cursor } = request.query;
      let query = deps.db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('webhook_id', '=', webhookId)
        .where('workspace_id', '=', ws);
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
          createdAt: iso(d.created_at),
          deliveredAt: d.delivered_at ? iso(d.delivered_at) : null,
        })),
        nextCursor: rows.length > limit ? (rows[limit - 1]?.id ?? null) : null,
      };
    },
  );

  r.post(
    '/v1/workspaces/:ws/webhooks/:webhookId/deliveries/:deliveryId/replay',
    {
      schema: {
        summary: 'Send a dead (or failed) delivery again',
        params: hookParams.extend({ deliveryId: id }),
        response: { 202: z.object({ replayed: z.literal(true) }) },
      },
    },
    async (request, reply) => {
      const { ws, webhookId, deliveryId } = request.params;
      await requireHook(request, ws, webhookId);
      const ok = await deps.replayDelivery(ws, webhookId, deliveryId);
      if (!ok) throw new AppError('conflict', 'only a dead or failed delivery can be replayed');
      return reply.status(202).send({ replayed: true as const });
    },
  );
}
