import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../../core/errors.js';
import { newId } from '../../../core/ids.js';
import { checkChannel, type OwnerRef } from '../../../core/access/index.js';
import { ownerRef } from '../../db/access/load-access.js';
import { writeAudit } from '../../db/audit.js';
import { defaultWhatsappSettings } from '../../whatsapp/settings.js';
import {
  channelJson,
  channelReply,
  ownerJson,
  presentChannel,
  presentChannels,
} from '../../present/channel.js';
import { requireMember, type HttpDeps, type MemberContext } from '../context.js';
import { id, personName, wsParams } from '../schemas.js';

const ownerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('user'), id }),
  z.object({ type: z.literal('team'), id }),
  z.object({ type: z.literal('workspace'), id: z.string().optional() }),
]);

const channelColumns = [
  'id',
  'workspace_id',
  'type',
  'name',
  'status',
  'settings',
  'owner_type',
  'owner_user_id',
  'owner_team_id',
  'qr',
] as const;

/**
 * A channel account the caller may view, or not found: an account they may not see, or one
 * of another workspace, does not exist for them.
 */
export async function visibleChannel(deps: HttpDeps, ctx: MemberContext, channelId: string) {
  const row = await deps.db
    .selectFrom('channel_accounts')
    .select(channelColumns)
    .where('workspace_id', '=', ctx.principal.workspaceId)
    .where('id', '=', channelId)
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', 'no such channel account');
  const facts = { id: row.id, workspaceId: row.workspace_id, owner: ownerRef(row) };
  if (!checkChannel(ctx.principal, 'channel.view', facts).allowed)
    throw new AppError('not_found', 'no such channel account');
  return { row, facts };
}

export const channelParams = z.object({ ws: id, channelId: id });

export function channelRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/v1/workspaces/:ws/channels',
    {
      schema: {
        summary: 'Connect a channel account; without owner, the caller connects and owns it',
        params: wsParams,
        body: z.object({
          type: z.enum(['webhook', 'whatsapp']),
          name: personName,
          owner: ownerSchema.optional(),
          outboundUrl: z
            .url({ protocol: /^https?$/ })
            .max(2000)
            .optional(),
        }),
        response: { 201: z.object({ channel: channelReply }) },
      },
    },
    async (request, reply) => {
      const { ws } = request.params;
      const { principal, facts } = await requireMember(deps, request, ws);
      const body = request.body;
      if (body.type === 'whatsapp' && !deps.whatsapp) {
        throw new AppError('invalid_input', 'this server does not run WhatsApp accounts', {
          details: [{ path: 'body.type', message: 'only "webhook" is available here' }],
        });
      }
      if (body.type === 'whatsapp' && body.outboundUrl !== undefined) {
        throw new AppError('invalid_input', 'a WhatsApp account sends replies itself', {
          details: [{ path: 'body.outboundUrl', message: 'only for webhook channels' }],
        });
      }
      const given = body.owner;
      const owner: OwnerRef = !given
        ? { type: 'user', userId: principal.userId }
        : given.type === 'user'
          ? { type: 'user', userId: given.id }
          : given.type === 'team'
            ? { type: 'team', teamId: given.id }
            : { type: 'workspace' };
      if (
        owner.type === 'user' &&
        !facts.members.some((m) => m.userId === owner.userId && m.status === 'active')
      ) {
        throw new AppError('invalid_input', 'the owner must be an active member', {
          details: [{ path: 'body.owner.id', message: 'not an active member' }],
        });
      }
      if (
        owner.type === 'team' &&
        !facts.teams.some((t) => t.id === owner.teamId && t.status === 'active')
      ) {
        throw new AppError('invalid_input', 'the owner must be an active team', {
          details: [{ path: 'body.owner.id', message: 'not an active team' }],
        });
      }
      const decision = checkChannel(principal, 'channel.connect', {
        id: 'new',
        workspaceId: ws,
        owner,
      });
      if (!decision.allowed)
        throw new AppError(
          'forbidden',
          `you may not connect this channel account: ${decision.reasons.join('; ')}`,
        );
      // A WhatsApp account starts waiting for its QR code to be scanned, groups off.
      const whatsapp = body.type === 'whatsapp';
      const secret = whatsapp ? null : randomBytes(32).toString('hex');
      const channel = await deps.db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('channel_accounts')
          .values({
            id: newId('ch'),
            workspace_id: ws,
            type: body.type,
            name: body.name,
            owner_type: owner.type,
            owner_user_id: owner.type === 'user' ? owner.userId : null,
            owner_team_id: owner.type === 'team' ? owner.teamId : null,
            connected_by: principal.userId,
            status: whatsapp ? 'qr_pending' : 'active',
            secret,
            outbound_url: body.outboundUrl ?? null,
            ...(whatsapp ? { settings: JSON.stringify(defaultWhatsappSettings) } : {}),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await writeAudit(trx, {
          workspaceId: ws,
          actorUserId: principal.userId,
          action: 'channel.connect',
          targetType: 'channel',
          targetId: row.id,
          after: { type: row.type, name: row.name, owner: ownerJson(owner) },
        });
        return row;
      });
      if (whatsapp) deps.whatsapp?.accountChanged(channel.id);
      return reply.status(201).send({
        channel: {
          ...channelJson(channel),
          ...(secret
            ? { inbound: { url: `${deps.publicUrl}/v1/inbound/webhook/${channel.id}`, secret } }
            : {}),
        },
      });
    },
  );

  r.get(
    '/v1/workspaces/:ws/channels',
    {
      schema: {
        summary: 'The channel accounts the caller may view, with their status',
        params: wsParams,
        response: { 200: z.object({ items: z.array(channelReply) }) },
      },
    },
    async (request) => {
      const ctx = await requireMember(deps, request, request.params.ws);
      const rows = await deps.db
        .selectFrom('channel_accounts')
        .select(channelColumns)
        .where('workspace_id', '=', request.params.ws)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      const visible = rows.filter(
        (row) =>
          checkChannel(ctx.principal, 'channel.view', {
            id: row.id,
            workspaceId: row.workspace_id,
            owner: ownerRef(row),
          }).allowed,
      );
      return { items: presentChannels(ctx.principal, visible) };
    },
  );

  r.get(
    '/v1/workspaces/:ws/channels/:channelId',
    {
      schema: {
        summary: 'One channel account and its status',
        params: channelParams,
        response: { 200: z.object({ channel: channelReply }) },
      },
    },
    async (request) => {
      const ctx = await requireMember(deps, request, request.params.ws);
      const { row } = await visibleChannel(deps, ctx, request.params.channelId);
      return { channel: presentChannel(ctx.principal, row) };
    },
  );
}
