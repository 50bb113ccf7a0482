import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { connectableOwners, type OwnerRef } from '../../../core/access/index.js';
import type { ChannelRecord } from '../../../core/channels/channels-store.js';
import { connectChannel } from '../../../core/channels/connect-channel.js';
import { listChannels } from '../../../core/channels/list-channels.js';
import { viewChannel } from '../../../core/channels/view-channel.js';
import { channelsStore } from '../../db/channels-store.js';
import {
  channelReply,
  ownerJson,
  presentChannel,
  presentChannels,
  type ChannelRow,
} from '../../present/channel.js';
import { defaultWhatsappSettings, parseWhatsappSettings } from '../../whatsapp/settings.js';
import { requireMember, type HttpDeps } from '../context.js';
import { id, personName, wsParams } from '../schemas.js';

const ownerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('user'), id }),
  z.object({ type: z.literal('team'), id }),
  z.object({ type: z.literal('workspace'), id: z.string().optional() }),
]);

export const channelParams = z.object({ ws: id, channelId: id });

/** What the channel use cases need, built once per route set from the server's deps. */
export function channelDeps(deps: HttpDeps) {
  return {
    store: channelsStore(deps.db),
    access: deps.access,
    events: deps.events,
    /** Read when used, as the server's deps are. */
    get whatsapp() {
      return deps.whatsapp;
    },
    whatsappSettings: { defaults: defaultWhatsappSettings, normalize: parseWhatsappSettings },
    outboundPolicy: deps.outbound.policy,
    now: () => deps.now(),
  };
}

/** A channel account of the core in the shape the channel presenter reads. */
export const channelRow = (c: ChannelRecord): ChannelRow => ({
  id: c.id,
  workspace_id: c.workspaceId,
  type: c.type,
  name: c.name,
  status: c.status,
  settings: c.settings,
  owner_type: c.owner.type,
  owner_user_id: c.owner.type === 'user' ? c.owner.userId : null,
  owner_team_id: c.owner.type === 'team' ? c.owner.teamId : null,
});

export function channelRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const channels = channelDeps(deps);

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
            .optional()
            .describe(
              'Webhook channels: where replies are POSTed. A literal non-public address (or ' +
                'localhost) is refused (422) unless SWITCHBOARD_OUTBOUND_ALLOW allows it; a name ' +
                'resolving to one is refused when sending (the reply fails).',
            ),
        }),
        response: { 201: z.object({ channel: channelReply }) },
      },
    },
    async (request, reply) => {
      const { ws } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      const { type, name, owner: given, outboundUrl } = request.body;
      const owner: OwnerRef | undefined = !given
        ? undefined
        : given.type === 'user'
          ? { type: 'user', userId: given.id }
          : given.type === 'team'
            ? { type: 'team', teamId: given.id }
            : { type: 'workspace' };
      const { channel, secret } = await connectChannel(channels, {
        actor: principal,
        workspaceId: ws,
        type,
        name,
        ...(owner ? { owner } : {}),
        ...(outboundUrl === undefined ? {} : { outboundUrl }),
      });
      return reply.status(201).send({
        // The secret is added after redaction: it is the caller's, shown once, never masked.
        channel: {
          ...presentChannel(principal, channelRow(channel)),
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
        summary:
          'The channel accounts the caller may view, with their status, and who the caller may connect a new one for (`connectOwners`)',
        params: wsParams,
        response: {
          200: z.object({
            items: z.array(channelReply),
            connectOwners: z.array(channelReply.shape.owner),
          }),
        },
      },
    },
    async (request) => {
      const { ws } = request.params;
      const { principal, facts } = await requireMember(deps, request, ws);
      const visible = await listChannels(channels, { actor: principal, workspaceId: ws });
      return {
        items: presentChannels(principal, visible.map(channelRow)),
        connectOwners: connectableOwners(principal, facts).map(ownerJson),
      };
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
      const { ws, channelId } = request.params;
      const { principal } = await requireMember(deps, request, ws);
      const channel = await viewChannel(channels, { actor: principal, workspaceId: ws, channelId });
      return { channel: presentChannel(principal, channelRow(channel)) };
    },
  );
}
