import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listWebhookDeliveries } from '../../../core/webhooks/list-webhook-deliveries.js';
import { listWebhooks } from '../../../core/webhooks/list-webhooks.js';
import { replayWebhookDelivery } from '../../../core/webhooks/replay-webhook-delivery.js';
import { subscribeWebhook, webhookEventTypes } from '../../../core/webhooks/subscribe-webhook.js';
import { webhookSubscriptionsStore } from '../../db/webhook-subscriptions-store.js';
import {
  presentWebhook,
  presentWebhookDelivery,
  webhookDeliverySchema as delivery,
  webhookSchema as webhook,
} from '../../present/webhook.js';
import { requireMember, type HttpDeps } from '../context.js';
import { id, wsParams } from '../schemas.js';

/**
 * Webhook subscriptions for CRM panels and automations. A subscription acts as the user who
 * created it, or as the member it names (`asUserId`): it will carry only events of chats that
 * user may see, redacted for them; `member.revoked` goes to every subscription that asks for it.
 */
export function webhookRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  /** What the webhook use cases need, built once from the server's deps. */
  const webhooks = {
    store: webhookSubscriptionsStore(deps.db),
    access: deps.access,
    outboundPolicy: deps.outbound.policy,
    deliveries: {
      replay: (ws: string, webhookId: string, deliveryId: string) =>
        deps.replayDelivery(ws, webhookId, deliveryId),
    },
  };

  r.post(
    '/v1/workspaces/:ws/webhooks',
    {
      schema: {
        summary: 'Subscribe a URL to events (HMAC-SHA256 signed like inbound webhooks)',
        description:
          'A URL whose host is a literal non-public address (loopback, private, link-local, …) or ' +
          'localhost is refused with 422 unless SWITCHBOARD_OUTBOUND_ALLOW allows it; a name that ' +
          'resolves to one is refused when delivering: the delivery is dead at once, the reason ' +
          'in its lastError. Redirects are not followed.',
        params: wsParams,
        body: z.object({
          url: z.url({ protocol: /^https?$/ }).max(2000),
          events: z
            .array(z.enum([...webhookEventTypes, '*']))
            .min(1)
            .max(20),
          secret: z.string().min(16).max(200).optional(),
          asUserId: id
            .optional()
            .describe(
              'Act as this member instead of yourself: only chats they may see, redacted for them, ' +
                'nothing while they are suspended or revoked (another member needs users.manage)',
            ),
        }),
        response: { 201: z.object({ webhook: webhook.extend({ secret: z.string() }) }) },
      },
    },
    async (request, reply) => {
      const { ws } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      const created = await subscribeWebhook(webhooks, {
        actor: principal,
        workspaceId: ws,
        url: request.body.url,
        events: request.body.events,
        ...(request.body.secret !== undefined ? { secret: request.body.secret } : {}),
        ...(request.body.asUserId !== undefined ? { asUserId: request.body.asUserId } : {}),
      });
      return reply
        .status(201)
        .send({ webhook: { ...presentWebhook(created), secret: created.secret } });
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
      const items = await listWebhooks(webhooks, { actor: principal, workspaceId: ws });
      return { items: items.map(presentWebhook) };
    },
  );

  const hookParams = z.object({ ws: id, webhookId: id });

  r.get(
    '/v1/workspaces/:ws/webhooks/:webhookId/deliveries',
    {
      schema: {
        summary: 'Deliveries of a subscription, newest first (dead ones are replayable)',
        description:
          'lastError says why the last try failed: the HTTP status, no answer, or the outbound ' +
          'policy refusing the address ("refused: 10.0.0.1 is private …").',
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
      const { principal } = await requireMember(deps, request, ws);
      const page = await listWebhookDeliveries(webhooks, {
        actor: principal,
        workspaceId: ws,
        webhookId,
        limit: request.query.limit,
        ...(request.query.cursor ? { cursor: request.query.cursor } : {}),
      });
      return { items: page.items.map(presentWebhookDelivery), nextCursor: page.nextCursor };
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
      const { principal } = await requireMember(deps, request, ws);
      await replayWebhookDelivery(webhooks, {
        actor: principal,
        workspaceId: ws,
        webhookId,
        deliveryId,
      });
      return reply.status(202).send({ replayed: true as const });
    },
  );
}
