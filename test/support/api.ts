import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { outboundStore } from '../../src/adapters/db/outbound.js';
import { postSigned } from '../../src/adapters/http/post-signed.js';
import {
  createOutboundGuard,
  type Lookup,
  type OutboundGuard,
} from '../../src/adapters/http/outbound-guard.js';
import {
  parseOutboundAllow,
  type OutboundPolicy,
} from '../../src/core/outbound/outbound-policy.js';
import { registerApiRoutes } from '../../src/adapters/http/routes/index.js';
import { buildServer, type App } from '../../src/adapters/http/server.js';
import { WorkspaceAccessCache } from '../../src/adapters/db/access/access-cache.js';
import { identityDirectory, recordLastSeen } from '../../src/adapters/db/identity.js';
import { createPresence } from '../../src/adapters/http/presence.js';
import { recordTokenUse } from '../../src/adapters/db/account-store.js';
import { EventStreamHub } from '../../src/adapters/http/event-stream.js';
import { createEventBus } from '../../src/adapters/db/event-bus.js';
import { createIngestPipeline } from '../../src/adapters/db/ingest-pipeline.js';
import { routeNewChats } from '../../src/adapters/db/routing.js';
import { sign } from '../../src/adapters/http/signature.js';
import { createQueueBackend, type QueueBackend } from '../../src/adapters/queue/backend.js';
import { enqueue, startWorker } from '../../src/jobs/define-job.js';
import { deliverOutboundJob, deliveryJobId } from '../../src/jobs/deliver-outbound.js';
import { startBackgroundWork } from '../../src/jobs/background.js';
import { startWebhooks } from '../../src/jobs/webhooks.js';
import { whatsappReplies } from '../../src/jobs/whatsapp-send.js';
import { WhatsappAccounts } from '../../src/adapters/whatsapp/accounts.js';
import { isAccountStopped } from '../../src/adapters/whatsapp/account-store.js';
import { createPostgresLeases } from '../../src/adapters/whatsapp/lease.js';
import type { WhatsappClientFactory } from '../../src/adapters/whatsapp/whatsapp-channel.js';
import { countAccountsByStatus } from '../../src/adapters/whatsapp/account-store.js';
import { createMetrics, type Metrics } from '../../src/adapters/metrics/metrics.js';
import { createSlackBot, type SlackSettings } from '../../src/adapters/slack/bot.js';
import pino from 'pino';
import { Redis } from 'ioredis';
import type { RateLimitSettings } from '../../src/adapters/http/rate-limits.js';
import type { TestDatabase } from './database.js';

/**
 * The API over a real socket on 127.0.0.1, against a test database and a queue of its own
 * (BullMQ on PostgreSQL in its own schema), with the reply-delivery worker running.
 */
export interface RunningApi {
  base: string;
  platformToken: string;
  app: App;
  queues: QueueBackend;
  /** With `options.whatsapp`: this "node"'s WhatsApp accounts. */
  whatsapp: WhatsappAccounts | undefined;
  /** With `options.metrics`: this server's metrics, also served at GET /metrics. */
  metrics: Metrics | undefined;
  close(): Promise<void>;
}

/** WhatsApp accounts on fake clients (no browser); leases on PostgreSQL advisory locks. */
export interface TestWhatsappOptions {
  createClient: WhatsappClientFactory;
  leaseRetryMs?: number;
  reconcileEveryMs?: number;
  sendAttempts?: number;
  sendBackoffMs?: number;
}

/**
 * The test receivers listen on this machine, so the harness allows loopback explicitly, the
 * way an operator would (`SWITCHBOARD_OUTBOUND_ALLOW`); everything else is refused as in
 * production.
 */
export const localReceivers = '127.0.0.1/32,::1/128';

/** `SWITCHBOARD_OUTBOUND_ALLOW` as the configuration parses it. */
export function outboundPolicy(allow: string): OutboundPolicy {
  const parsed = parseOutboundAllow(allow);
  if ('errors' in parsed) throw new Error(parsed.errors.join('; '));
  return parsed;
}

export async function startApi(
  t: TestDatabase,
  options: {
    bodyLimitBytes?: number;
    batchSize?: number;
    webhookAttempts?: number;
    redisUrl?: string;
    whatsapp?: TestWhatsappOptions;
    metrics?: boolean;
    /** The immediate enqueue of a reply's delivery fails (a queue down at reply time). */
    failEnqueueOutbound?: boolean;
    /** Request rate limits (none unless given), counted in Redis under `redisNameSpace` when given. */
    rateLimits?: { settings: RateLimitSettings; redisUrl?: string; redisNameSpace?: string };
    /** The Slack bot at POST /slack/events, its Web API calls going to `apiUrl` (a fake). */
    slack?: Omit<SlackSettings, 'command'> & { command?: string };
    /**
     * Outbound requests: `allow` as `SWITCHBOARD_OUTBOUND_ALLOW` (default `localReceivers`),
     * `lookup` in place of DNS.
     */
    outbound?: { allow?: string; lookup?: Lookup };
  } = {},
): Promise<RunningApi> {
  const guard: OutboundGuard = createOutboundGuard(
    outboundPolicy(options.outbound?.allow ?? localReceivers),
    options.outbound?.lookup ? { lookup: options.outbound.lookup } : {},
  );
  const platformToken = `sbp_${randomBytes(24).toString('hex')}`;
  const metrics = options.metrics ? createMetrics() : undefined;
  const queues = createQueueBackend(
    options.redisUrl
      ? {
          kind: 'redis',
          url: options.redisUrl,
          prefix: `sbtest-${randomBytes(4).toString('hex')}`,
          recorder: metrics,
        }
      : {
          kind: 'postgres',
          url: t.url,
          schema: `bullmq_${randomBytes(4).toString('hex')}`,
          recorder: metrics,
        },
  );
  const replies = whatsappReplies({
    queues,
    store: outboundStore(t.db),
    accountStopped: (channelId) => isAccountStopped(t.db, channelId),
    attempts: options.whatsapp?.sendAttempts,
    backoffMs: options.whatsapp?.sendBackoffMs,
  });
  const outbound = {
    ...outboundStore(t.db),
    postSigned: (url: string, secret: string, body: string) =>
      postSigned(guard, url, secret, body, 2_000),
    handOff: replies.handOff,
  };
  const deliverJob = deliverOutboundJob(outbound);
  startWorker(queues, deliverJob);
  const events = await createEventBus(t.db, t.url);
  const live = new EventStreamHub(t.db, events, () => undefined);
  const stopBackground = startBackgroundWork(t.db, queues, {
    relayEveryMs: 100,
    batchSize: options.batchSize ?? 1000,
  });
  const webhooks = startWebhooks(t.db, events, queues, {
    outbound: guard,
    backoffMs: 100,
    attempts: options.webhookAttempts ?? 4,
    timeoutMs: 2_000,
    recordDelivery: (outcome) => metrics?.webhookDelivery(outcome),
  });
  const ingest = createIngestPipeline(t.db, { afterIngest: routeNewChats, recorder: metrics });
  const leases = options.whatsapp
    ? createPostgresLeases({ connectionString: t.url, heartbeatMs: 500 })
    : undefined;
  const whatsapp =
    options.whatsapp && leases
      ? new WhatsappAccounts({
          db: t.db,
          leases,
          ingest,
          events,
          createClient: options.whatsapp.createClient,
          companion: replies.companion,
          log: { debug: () => undefined, info: () => undefined, warn: () => undefined },
          leaseRetryMs: options.whatsapp.leaseRetryMs ?? 100,
          reconcileEveryMs: options.whatsapp.reconcileEveryMs ?? 60_000,
          restartDelayMs: null,
        })
      : undefined;
  whatsapp?.start();
  metrics?.readFrom({
    queueDepths: () => queues.jobCounts(),
    openStreams: () => live.openStreams(),
    whatsappAccounts: () => countAccountsByStatus(t.db),
  });
  const access = new WorkspaceAccessCache(t.db);
  const identity = identityDirectory(t.db);
  const presence = createPresence({
    now: () => new Date(),
    record: (ws, userId, at) => recordLastSeen(t.db, ws, userId, at),
    recordToken: (hash, at) => recordTokenUse(t.db, hash, at),
  });
  const slack =
    options.slack &&
    createSlackBot(
      {
        db: t.db,
        access,
        identity,
        events,
        live,
        presence,
        now: () => new Date(),
        publicUrl: 'http://sb.test',
        log: pino({ level: 'silent' }),
      },
      { command: '/switchboard', ...options.slack },
    );
  const limits = options.rateLimits;
  const rateLimitRedis = limits?.redisUrl
    ? new Redis(limits.redisUrl, { maxRetriesPerRequest: 1 })
    : undefined;
  const app = await buildServer({
    metrics: metrics && { metrics, route: true },
    ...(limits
      ? {
          rateLimits: {
            settings: limits.settings,
            ...(rateLimitRedis ? { redis: rateLimitRedis } : {}),
            ...(limits.redisNameSpace ? { nameSpace: limits.redisNameSpace } : {}),
          },
        }
      : {}),
    bodyLimitBytes: options.bodyLimitBytes ?? 64 * 1024,
    readiness: {},
    routes: (server) =>
      registerApiRoutes(server, {
        db: t.db,
        access,
        identity,
        presence,
        ...(slack ? { slack } : {}),
        platformToken,
        publicUrl: 'http://sb.test',
        now: () => new Date(),
        outbound: guard,
        events,
        live,
        ingest,
        replayDelivery: (ws, webhookId, deliveryId) => webhooks.replay(ws, webhookId, deliveryId),
        whatsapp,
        enqueueOutbound: async (messageId) => {
          if (options.failEnqueueOutbound) throw new Error('the queue is down (test)');
          await enqueue(queues, deliverJob, { messageId }, { jobId: deliveryJobId(messageId) });
        },
      }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    platformToken,
    app,
    queues,
    whatsapp,
    metrics,
    async close() {
      await slack?.close();
      await rateLimitRedis?.quit();
      await stopBackground();
      await webhooks.stop();
      live.close();
      await app.close();
      await whatsapp?.close();
      await leases?.close();
      await ingest.close();
      await events.close();
      await queues.close();
      await guard.close();
    },
  };
}

export interface Reply<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

/** A tiny client: JSON in and out, a bearer token when given. */
export function client(base: string) {
  return async function call<T = any>(
    method: string,
    path: string,
    options: {
      token?: string;
      body?: unknown;
      headers?: Record<string, string>;
      raw?: string;
    } = {},
  ): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.raw;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    } else if (body !== undefined) {
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${base}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, body: parsed as T, text, headers: response.headers };
  };
}

/** Signs an inbound webhook body the way a channel provider would. */
export function signedHeaders(secret: string, raw: string, at = Math.floor(Date.now() / 1000)) {
  return {
    'x-switchboard-timestamp': String(at),
    'x-switchboard-signature': sign(secret, at, raw),
  };
}

/** A receiver for replies POSTed to a webhook channel's outboundUrl. */
export async function startReceiver(respond: (n: number) => number = () => 200) {
  const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
  let calls = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = respond(++calls);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/replies`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Reads a server-sent event stream into an array until closed. */
export async function openStream(base: string, path: string, token: string) {
  const controller = new AbortController();
  const response = await fetch(`${base}${path}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  const events: Array<{ event: string; data: any }> = [];
  let ended = false;
  if (response.ok && response.body) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    void (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event && data) events.push({ event, data: JSON.parse(data) });
          }
        }
      } catch {
        // aborted
      } finally {
        ended = true;
      }
    })();
  } else {
    ended = true;
  }
  return {
    status: response.status,
    events,
    ended: () => ended,
    close: () => controller.abort(),
  };
}

/** A new organization's workspace, its Owner's token and a webhook channel the workspace owns. */
export async function createWorkspaceWithChannel(
  api: RunningApi,
  name = 'Acme',
): Promise<{ ws: string; owner: string; channel: { id: string; secret: string } }> {
  const call = client(api.base);
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const org = await call('POST', '/v1/organizations', {
    token: api.platformToken,
    body: { name, workspace: { name: 'W' }, owner: { email: `o@${slug}.test`, name: 'O' } },
  });
  if (org.status !== 201) throw new Error(`organization not created: ${org.text}`);
  const ws = org.body.workspace.id as string;
  const owner = org.body.token as string;
  const ch = await call('POST', `/v1/workspaces/${ws}/channels`, {
    token: owner,
    body: { type: 'webhook', name: 'Web chat', owner: { type: 'workspace' } },
  });
  if (ch.status !== 201) throw new Error(`channel not created: ${ch.text}`);
  return { ws, owner, channel: { id: ch.body.channel.id, secret: ch.body.channel.inbound.secret } };
}

/** A member invited by `by` (an Owner's or Admin's token) who accepted at once. */
export async function addMember(
  api: RunningApi,
  ws: string,
  by: string,
  member: { email: string; name: string; role: string; restrictions?: object; teamIds?: string[] },
): Promise<{ id: string; token: string; email: string }> {
  const call = client(api.base);
  const invitation = await call('POST', `/v1/workspaces/${ws}/invitations`, {
    token: by,
    body: { restrictions: {}, teamIds: [], ...member },
  });
  if (invitation.status !== 201) throw new Error(`not invited: ${invitation.text}`);
  const accepted = await call('POST', '/v1/invitations/accept', {
    body: { token: invitation.body.invitation.token },
  });
  if (accepted.status !== 200) throw new Error(`not accepted: ${accepted.text}`);
  return { id: accepted.body.user.id, token: accepted.body.token, email: member.email };
}

/**
 * An inbound message of a webhook channel, signed as its provider signs it (the chat's and the
 * message's provider ids made from `key`); resolves with the chat's id once it is stored.
 */
export async function inboundChat(
  api: RunningApi,
  t: TestDatabase,
  channel: { id: string; secret: string },
  key: string,
  contact: { name: string; phone?: string; email?: string },
  text = `Hello from ${key}`,
): Promise<string> {
  const raw = JSON.stringify({
    messageId: `m-${key}`,
    chatId: `c-${key}`,
    contact,
    text,
    sentAt: new Date().toISOString(),
  });
  const sent = await client(api.base)('POST', `/v1/inbound/webhook/${channel.id}`, {
    raw,
    headers: signedHeaders(channel.secret, raw),
  });
  if (sent.status !== 202) throw new Error(`inbound refused: ${sent.text}`);
  for (let i = 0; i < 400; i++) {
    const row = await t.db
      .selectFrom('chats')
      .select('id')
      .where('channel_id', '=', channel.id)
      .where('external_id', '=', `c-${key}`)
      .executeTakeFirst();
    if (row) return row.id;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the chat was not stored');
}
