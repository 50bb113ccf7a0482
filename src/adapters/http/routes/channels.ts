import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../../core/errors.js';
import { newId } from '../../../core/ids.js';
import { phoneSchema } from '../../../core/chats/inbound-message.js';
import { checkChannel, type OwnerRef } from '../../../core/access/index.js';
import { ownerRef } from '../../db/access/load-access.js';
import { writeAudit } from '../../db/audit.js';
import { isTransient } from '../../db/ingest-pipeline.js';
import { requireMember, type HttpDeps } from '../context.js';
import { id, personName, wsParams } from '../schemas.js';
import { verifySignature } from '../signature.js';

const ownerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('user'), id }),
  z.object({ type: z.literal('team'), id }),
  z.object({ type: z.literal('workspace'), id: z.string().optional() }),
]);

const channelReply = z.object({
  id: z.string(),
  type: z.enum(['webhook', 'whatsapp']),
  name: z.string(),
  owner: z.object({ type: z.enum(['user', 'team', 'workspace']), id: z.string().optional() }),
  status: z.string(),
  inbound: z.object({ url: z.string(), secret: z.string() }).optional(),
});

const ownerJson = (o: OwnerRef) =>
  o.type === 'user'
    ? { type: o.type, id: o.userId }
    : o.type === 'team'
      ? { type: o.type, id: o.teamId }
      : { type: o.type };

const inboundBody = z.object({
  messageId: z.string().min(1).max(300),
  chatId: z.string().min(1).max(300),
  contact: z.object({
    name: z.string().trim().min(1).max(200),
    phone: phoneSchema.optional(),
    email: z
      .email()
      .max(254)
      .transform((e) => e.toLowerCase())
      .optional(),
  }),
  text: z.string().max(64 * 1024),
  sentAt: z.iso.datetime({ offset: true }),
});

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
      if (body.type === 'whatsapp') {
        throw new AppError(
          'invalid_input',
          'WhatsApp channels are not available on this server yet',
          {
            details: [{ path: 'body.type', message: 'only "webhook" is supported for now' }],
          },
        );
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
      const secret = randomBytes(32).toString('hex');
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
            status: 'active',
            secret,
            outbound_url: body.outboundUrl ?? null,
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
      return reply.status(201).send({
        channel: {
          id: channel.id,
          type: channel.type,
          name: channel.name,
          owner: ownerJson(ownerRef(channel)),
          status: channel.status,
          inbound: { url: `${deps.publicUrl}/v1/inbound/webhook/${channel.id}`, secret },
        },
      });
    },
  );

  // Every inbound request needs its channel's secret: kept for a few seconds, so a busy
  // channel costs no query per message (a disabled channel or new secret applies within 5 s).
  const inboundChannels = shortLivedCache(5_000, 10_000, (channelId: string) =>
    deps.db
      .selectFrom('channel_accounts')
      .select(['id', 'workspace_id', 'type', 'secret', 'status'])
      .where('id', '=', channelId)
      .executeTakeFirst(),
  );

  // The signed inbound route reads its body raw: the signature covers the exact bytes.
  void app.register((scoped, _options, done) => {
    scoped.addContentTypeParser(
      'application/json',
      { parseAs: 'string' },
      (_request, body, parsed) => parsed(null, body),
    );
    scoped.withTypeProvider<ZodTypeProvider>().post(
      '/v1/inbound/webhook/:channelId',
      {
        schema: {
          summary: 'Inbound message of a webhook channel (HMAC-signed; no bearer)',
          security: [],
          params: z.object({ channelId: id }),
          response: { 202: z.object({ accepted: z.literal(true), duplicate: z.boolean() }) },
        },
      },
      async (request, reply) => {
        const raw = typeof request.body === 'string' ? request.body : '';
        const channel = await inboundChannels.get(request.params.channelId);
        // Unknown channel and bad signature answer alike: nothing tells a prober which ids exist.
        if (!channel || channel.type !== 'webhook' || !channel.secret)
          throw new AppError('unauthorized', 'the signature does not match');
        verifySignature(
          channel.secret,
          {
            timestamp: header(request.headers['x-switchboard-timestamp']),
            signature: header(request.headers['x-switchboard-signature']),
          },
          raw,
          deps.now(),
        );
        if (channel.status === 'disabled')
          throw new AppError('conflict', 'the channel account is disabled');
        let json: unknown;
        try {
          json = JSON.parse(raw);
        } catch {
          throw new AppError('invalid_input', 'the request body is not valid JSON', {
            details: [{ path: 'body', message: 'not valid JSON' }],
          });
        }
        const parsed = inboundBody.safeParse(json);
        if (!parsed.success) {
          throw new AppError('invalid_input', 'the message does not match the schema', {
            details: parsed.error.issues.map((i) => ({
              path: ['body', ...i.path].join('.'),
              message: i.message,
            })),
          });
        }
        const m = parsed.data;
        // Acknowledged only once stored: a sender that gets no 202 sends again.
        const result = await deps.ingest
          .submit({
            workspaceId: channel.workspace_id,
            channelId: channel.id,
            externalChatId: m.chatId,
            providerMessageId: m.messageId,
            contact: {
              name: m.contact.name,
              phone: m.contact.phone ?? null,
              email: m.contact.email ?? null,
            },
            text: m.text,
            sentAt: new Date(m.sentAt),
          })
          .catch((error: unknown) => {
            throw isTransient(error)
              ? new AppError('unavailable', 'the message could not be stored now; send it again', {
                  cause: error,
                })
              : error;
          });
        return reply.status(202).send({ accepted: true as const, duplicate: result.duplicate });
      },
    );
    done();
  });
}

const header = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/**
 * Remembers what `load` found for `ttlMs` (not what it did not find: an unknown id costs a
 * query each time, so probing cannot fill the memory), at most `max` entries.
 */
function shortLivedCache<T>(
  ttlMs: number,
  max: number,
  load: (key: string) => Promise<T | undefined>,
) {
  const entries = new Map<string, { value: Promise<T | undefined>; until: number }>();
  return {
    get(key: string): Promise<T | undefined> {
      const now = Date.now();
      const hit = entries.get(key);
      if (hit && hit.until > now) return hit.value;
      if (entries.size >= max) entries.clear();
      const value = load(key);
      entries.set(key, { value, until: now + ttlMs });
      // A miss or a failure is not remembered.
      void value.then(
        (found) => (found === undefined ? entries.delete(key) : undefined),
        () => entries.delete(key),
      );
      return value;
    },
  };
}
