import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { AppError } from '../../core/errors.js';

/**
 * Request rate limits (issue 22), with `@fastify/rate-limit`: counted in Redis when the server
 * has one (every node counts together), in this process's memory otherwise. Each request falls
 * in one bucket:
 * - an inbound webhook counts against its channel (a busy channel is not slowed by another);
 * - accepting an invitation against the client's address (a few per minute: it takes a secret
 *   token, so guessing must be slow);
 * - anything with a bearer token against that token (a hash of it: the token never reaches
 *   Redis), and a CRM panel request against its integration (a CRM's server asks for all of
 *   its users);
 * - anything else against the client's address.
 * Health, readiness and metrics are never limited. Over the limit: 429 `rate_limited` with
 * `Retry-After` (seconds). A limit of 0 turns its bucket off. The defaults are `config.ts`'s.
 */
export interface RateLimitSettings {
  /** Requests per minute per API token. */
  perToken: number;
  /** Requests per minute per client address without a token. */
  perAddress: number;
  /** Invitation accepts per minute per client address. */
  acceptPerAddress: number;
  /** Inbound webhook messages per minute per channel. */
  inboundPerChannel: number;
}

const unlimited = new Set(['/healthz', '/readyz', '/metrics']);

type Bucket = { kind: keyof RateLimitSettings; key: string };

/** Each request's bucket, worked out once (the plugin asks for the key and then the limit). */
const buckets = new WeakMap<FastifyRequest, Bucket>();

function bucketOf(request: FastifyRequest): Bucket {
  let bucket = buckets.get(request);
  if (!bucket) {
    bucket = findBucket(request);
    buckets.set(request, bucket);
  }
  return bucket;
}

function findBucket(request: FastifyRequest): Bucket {
  const path = request.url.split('?', 1)[0] ?? '';
  const inbound = /^\/v1\/inbound\/webhook\/([^/]+)$/.exec(path);
  if (inbound?.[1]) return { kind: 'inboundPerChannel', key: `channel:${inbound[1]}` };
  if (path === '/v1/invitations/accept')
    return { kind: 'acceptPerAddress', key: `accept:${request.ip}` };
  // A CRM's server asks for all its users: it counts as one caller, like a token.
  const crm = /^\/v1\/crm\/([^/]+)\//.exec(path);
  if (crm?.[1]) return { kind: 'perToken', key: `crm:${crm[1]}` };
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
  if (bearer) {
    const hash = createHash('sha256').update(bearer).digest('base64url').slice(0, 22);
    return { kind: 'perToken', key: `token:${hash}` };
  }
  return { kind: 'perAddress', key: `address:${request.ip}` };
}

export async function registerRateLimits(
  app: FastifyInstance,
  settings: RateLimitSettings,
  redis?: Redis,
  /** Where in Redis the counts live (tests keep theirs apart). */
  nameSpace = 'switchboard-rate:',
): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    timeWindow: 60_000,
    ...(redis ? { redis, nameSpace } : {}),
    // A limit store that does not answer does not take the API down with it.
    skipOnError: true,
    keyGenerator: (request) => bucketOf(request).key,
    max: (request) => {
      const limit = settings[bucketOf(request).kind];
      return limit > 0 ? limit : Number.MAX_SAFE_INTEGER;
    },
    allowList: (request) => unlimited.has(request.url.split('?', 1)[0] ?? ''),
    addHeadersOnExceeding: {
      'x-ratelimit-limit': false,
      'x-ratelimit-remaining': false,
      'x-ratelimit-reset': false,
    },
    addHeaders: {
      'x-ratelimit-limit': false,
      'x-ratelimit-remaining': false,
      'x-ratelimit-reset': false,
      'retry-after': true,
    },
    errorResponseBuilder: (_request, context) =>
      new AppError(
        'rate_limited',
        `too many requests: at most ${context.max} a minute here; retry in ${Math.ceil(context.ttl / 1000)} s`,
      ),
  });
}
