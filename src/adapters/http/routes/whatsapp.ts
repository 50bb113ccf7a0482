import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { checkChannel } from '../../../core/access/index.js';
import { AppError } from '../../../core/errors.js';
import { writeAudit } from '../../db/audit.js';
import { parseWhatsappSettings } from '../../whatsapp/settings.js';
import { requireMember, type HttpDeps } from '../context.js';
import { channelJson, channelReply, presentChannel } from '../../present/channel.js';
import { channelParams, visibleChannel } from './channels.js';

/**
 * What is particular to WhatsApp accounts: the QR code to link the phone (whoever may connect
 * the account), and the personal-chat protection settings (whoever may edit it). The account
 * itself runs on whichever node holds its lease; both routes only read and write its row.
 */
export function whatsappRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/v1/workspaces/:ws/channels/:channelId/qr',
    {
      schema: {
        summary: 'WhatsApp: the status, and the QR code to scan while the status is qr_pending',
        params: channelParams,
        response: { 200: z.object({ status: z.string(), qr: z.string().optional() }) },
      },
    },
    async (request) => {
      const ctx = await requireMember(deps, request, request.params.ws);
      const { row, facts } = await visibleChannel(deps, ctx, request.params.channelId);
      if (row.type !== 'whatsapp')
        throw new AppError('conflict', 'only a WhatsApp account has a QR code');
      const decision = checkChannel(ctx.principal, 'channel.connect', facts);
      if (!decision.allowed)
        throw new AppError(
          'forbidden',
          `you may not connect this channel account: ${decision.reasons.at(-1) ?? ''}`,
        );
      return {
        status: row.status,
        ...(row.status === 'qr_pending' && row.qr ? { qr: row.qr } : {}),
      };
    },
  );

  r.patch(
    '/v1/workspaces/:ws/channels/:channelId',
    {
      schema: {
        summary:
          'WhatsApp: personal-chat protection — group chats on/off, contacts whose chats are never ingested',
        params: channelParams,
        body: z.strictObject({
          settings: z.strictObject({
            groups: z.boolean().optional(),
            excludedContacts: z.array(z.string()).max(5000).optional(),
          }),
        }),
        response: { 200: z.object({ channel: channelReply }) },
      },
    },
    async (request) => {
      const { ws, channelId } = request.params;
      const ctx = await requireMember(deps, request, ws);
      const { row, facts } = await visibleChannel(deps, ctx, channelId);
      if (row.type !== 'whatsapp')
        throw new AppError('invalid_input', 'only a WhatsApp account has these settings', {
          details: [{ path: 'body.settings', message: 'not a WhatsApp account' }],
        });
      const decision = checkChannel(ctx.principal, 'channel.edit', facts);
      if (!decision.allowed)
        throw new AppError(
          'forbidden',
          `you may not edit this channel account: ${decision.reasons.at(-1) ?? ''}`,
        );
      const given = request.body.settings;
      let settings;
      try {
        // Other keys of the stored settings are kept; these two are validated and normalized.
        settings = parseWhatsappSettings({
          ...row.settings,
          ...(given.groups === undefined ? {} : { groups: given.groups }),
          ...(given.excludedContacts === undefined
            ? {}
            : { excludedContacts: given.excludedContacts }),
        });
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        throw new AppError('invalid_input', 'the settings are not valid', {
          cause: error,
          details: error.details?.map((d) => ({
            path: `body.settings.${d.path}`,
            message: d.message,
          })),
        });
      }
      const updated = await deps.db.transaction().execute(async (trx) => {
        const stored = await trx
          .updateTable('channel_accounts')
          .set({ settings: JSON.stringify(settings), updated_at: deps.now() })
          .where('workspace_id', '=', ws)
          .where('id', '=', channelId)
          .returningAll()
          .executeTakeFirstOrThrow();
        await writeAudit(trx, {
          workspaceId: ws,
          actorUserId: ctx.principal.userId,
          action: 'channel.edit',
          targetType: 'channel',
          targetId: channelId,
          before: channelJson(row).settings,
          after: channelJson(stored).settings,
        });
        return stored;
      });
      deps.whatsapp?.accountChanged(channelId);
      return { channel: presentChannel(ctx.principal, updated) };
    },
  );

  /** A WhatsApp account's row, for those allowed `permission` over it (404/403 otherwise). */
  async function accountFor(
    request: { params: { ws: string; channelId: string } } & Parameters<typeof requireMember>[1],
    permission: 'channel.connect' | 'channel.edit',
  ) {
    const ctx = await requireMember(deps, request, request.params.ws);
    const { row, facts } = await visibleChannel(deps, ctx, request.params.channelId);
    if (row.type !== 'whatsapp') throw new AppError('conflict', 'not a WhatsApp account');
    const decision = checkChannel(ctx.principal, permission, facts);
    if (!decision.allowed)
      throw new AppError(
        'forbidden',
        `you may not ${permission === 'channel.edit' ? 'edit' : 'connect'} this channel account: ${decision.reasons.at(-1) ?? ''}`,
      );
    return { ctx, row };
  }

  /**
   * Sets an account's status from the API and lets the nodes act on it: a disabled account is
   * stopped wherever it runs (at once on this node, within a reconcile elsewhere) and no
   * longer takes messages; one set back to qr_pending is started again by whichever node
   * takes its lease.
   */
  async function setStatus(
    ctx: Awaited<ReturnType<typeof accountFor>>['ctx'],
    row: Awaited<ReturnType<typeof accountFor>>['row'],
    status: 'disabled' | 'qr_pending',
    action: string,
  ) {
    const updated = await deps.db.transaction().execute(async (trx) => {
      // After a logout WhatsApp has forgotten the session: linking again needs a new QR scan.
      if (status === 'qr_pending' && row.status === 'logged_out')
        await trx.deleteFrom('whatsapp_sessions').where('channel_id', '=', row.id).execute();
      const stored = await trx
        .updateTable('channel_accounts')
        .set({ status, qr: null, qr_updated_at: null, updated_at: deps.now() })
        .where('workspace_id', '=', row.workspace_id)
        .where('id', '=', row.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await writeAudit(trx, {
        workspaceId: row.workspace_id,
        actorUserId: ctx.principal.userId,
        action,
        targetType: 'channel',
        targetId: row.id,
        before: { status: row.status },
        after: { status },
      });
      return stored;
    });
    deps.whatsapp?.accountChanged(row.id);
    return { channel: presentChannel(ctx.principal, updated) };
  }

  r.post(
    '/v1/workspaces/:ws/channels/:channelId/disable',
    {
      schema: {
        summary: 'WhatsApp: stop the account (its session is kept; reconnect starts it again)',
        params: channelParams,
        response: { 200: z.object({ channel: channelReply }) },
      },
    },
    async (request) => {
      const { ctx, row } = await accountFor(request, 'channel.edit');
      if (row.status === 'disabled') return { channel: presentChannel(ctx.principal, row) };
      return setStatus(ctx, row, 'disabled', 'channel.disable');
    },
  );

  r.post(
    '/v1/workspaces/:ws/channels/:channelId/reconnect',
    {
      schema: {
        summary:
          'WhatsApp: start a disabled, logged-out or disconnected account again (a new QR after a logout)',
        params: channelParams,
        response: { 200: z.object({ channel: channelReply }) },
      },
    },
    async (request) => {
      const { ctx, row } = await accountFor(request, 'channel.connect');
      if (row.status === 'connected' || row.status === 'qr_pending')
        throw new AppError('conflict', `the account is ${row.status} already`);
      return setStatus(ctx, row, 'qr_pending', 'channel.reconnect');
    },
  );
}
