import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { changeChannel } from '../../../core/channels/change-channel.js';
import { disableChannel } from '../../../core/channels/disable-channel.js';
import { reconnectChannel } from '../../../core/channels/reconnect-channel.js';
import { viewChannelQr } from '../../../core/channels/view-channel-qr.js';
import { channelReply, presentChannel } from '../../present/channel.js';
import { requireMember, type HttpDeps } from '../context.js';
import { channelDeps, channelParams, channelRow } from './channels.js';

/**
 * What is particular to WhatsApp accounts: the QR code to link the phone (whoever may connect
 * the account), the personal-chat protection settings (whoever may edit it), and stopping or
 * starting it again. The account itself runs on whichever node holds its lease; these routes
 * only read and write its row and tell the nodes (`core/channels`).
 */
export function whatsappRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const channels = channelDeps(deps);

  r.get(
    '/v1/workspaces/:ws/channels/:channelId/qr',
    {
      schema: {
        summary:
          'WhatsApp: the status, the QR code to scan while the status is qr_pending, and why ' +
          'the account is disconnected or logged_out (detail) when known',
        params: channelParams,
        response: {
          200: z.object({
            status: z.string(),
            qr: z.string().optional(),
            detail: z
              .string()
              .optional()
              .describe(
                'Why the account is disconnected or logged_out, e.g. "failed to start: ' +
                  'net::ERR_NAME_NOT_RESOLVED at https://web.whatsapp.com/" or a WhatsApp ' +
                  'disconnect reason ("NAVIGATION", "LOGOUT"); at most 500 characters. ' +
                  'Reconnecting tries again.',
              ),
          }),
        },
      },
    },
    async (request) => {
      const { ws, channelId } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      return viewChannelQr(channels, { actor: principal, workspaceId: ws, channelId });
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
      const { principal } = await requireMember(deps, request, ws);
      const channel = await changeChannel(channels, {
        actor: principal,
        workspaceId: ws,
        channelId,
        settings: request.body.settings,
      });
      return { channel: presentChannel(principal, channelRow(channel)) };
    },
  );

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
      const { ws, channelId } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      const channel = await disableChannel(channels, {
        actor: principal,
        workspaceId: ws,
        channelId,
      });
      return { channel: presentChannel(principal, channelRow(channel)) };
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
      const { ws, channelId } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      const channel = await reconnectChannel(channels, {
        actor: principal,
        workspaceId: ws,
        channelId,
      });
      return { channel: presentChannel(principal, channelRow(channel)) };
    },
  );
}
