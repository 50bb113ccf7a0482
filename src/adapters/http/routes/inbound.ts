import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { phoneSchema } from '../../../core/contacts/phone.js';
import { AppError, issueDetails } from '../../../core/errors.js';
import {
  requireInboundChannel,
  requireTakingTraffic,
} from '../../../core/chats/inbound-channel.js';
import { inboundChannelsStore } from '../../db/inbound-channels-store.js';
import { isTransient } from '../../db/ingest-pipeline.js';
import type { HttpDeps } from '../context.js';
import { id } from '../schemas.js';
import { verifySignature } from '../signature.js';

const inboundBody = z.object({
  messageId: z.string().min(1).max(300),
  chatId: z.string().min(1).max(300),
  contact: z.object({
    name: z.string().trim().min(1).max(200),
    /** Any usual spelling; stored and shown as E.164 (`+4930123456`), or refused with 422. */
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

/** `POST /v1/inbound/webhook/:channelId`: a webhook channel's signed inbound messages. */
export function inboundRoutes(app: FastifyInstance, deps: HttpDeps): void {
  // Every inbound request needs its channel's secret: kept for a few seconds, so a busy
  // channel costs no query per message (a disabled channel or new secret applies within 5 s).
  const store = inboundChannelsStore(deps.db);
  const inboundChannels = shortLivedCache(5_000, 10_000, (channelId: string) =>
    store.inboundChannel(channelId),
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
        // Unknown channel and bad signature answer alike: nothing tells a prober which ids exist.
        const channel = requireInboundChannel(await inboundChannels.get(request.params.channelId));
        verifySignature(
          channel.secret,
          {
            timestamp: header(request.headers['x-switchboard-timestamp']),
            signature: header(request.headers['x-switchboard-signature']),
          },
          raw,
          deps.now(),
        );
        requireTakingTraffic(channel);
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
            details: issueDetails(parsed.error.issues, 'body'),
          });
        }
        const m = parsed.data;
        // Acknowledged only once stored: a sender that gets no 202 sends again.
        const result = await deps.ingest
          .submit({
            workspaceId: channel.workspaceId,
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
