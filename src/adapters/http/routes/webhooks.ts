import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../../core/errors.js';
import { newId } from '../../../core/ids.js';
import { checkPermission } from '../../../core/access/index.js';
import { writeAudit } from '../../db/audit.js';
import { requireMember, type HttpDeps } from '../context.js';
import { iso, wsParams } from '../schemas.js';

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
}
