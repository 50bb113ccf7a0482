import pino from 'pino';
import { loadConfig, ConfigError, type Config } from './config.js';
import { createDatabase, migrateToLatest, pingDatabase } from './adapters/db/database.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './adapters/db/embedded-postgres.js';
import { buildServer } from './adapters/http/server.js';
import { registerApiRoutes } from './adapters/http/routes/index.js';
import { createSlackBot } from './adapters/slack/bot.js';
import { Redis } from 'ioredis';
import { UnrecoverableError } from 'bullmq';
import { recordTokenUse } from './adapters/db/account-store.js';
import { WorkspaceAccessCache } from './adapters/db/access/access-cache.js';
import { identityDirectory, recordLastSeen } from './adapters/db/identity.js';
import { createPresence } from './adapters/http/presence.js';
import { EventStreamHub } from './adapters/http/event-stream.js';
import { createEventBus } from './adapters/db/event-bus.js';
import { createIngestPipeline } from './adapters/db/ingest-pipeline.js';
import { routeNewChats } from './adapters/db/routing.js';
import { lockDataDir, loadOrCreatePlatformToken } from './adapters/local/data-dir.js';
import { StartupError } from './adapters/local/startup-error.js';
import { createQueueBackend } from './adapters/queue/backend.js';
import { logContextMixin } from './adapters/logging/log-context.js';
import { createMetrics } from './adapters/metrics/metrics.js';
import { startMetricsServer } from './adapters/metrics/http.js';
import { outboundStore } from './adapters/db/outbound.js';
import { createOutboundGuard } from './adapters/http/outbound-guard.js';
import { postSigned } from './adapters/http/post-signed.js';
import { deliverOutboundJob, deliveryJobId } from './jobs/deliver-outbound.js';
import { enqueue, startWorker } from './jobs/define-job.js';
import { durableIngest } from './jobs/inbound-retry.js';
import { startBackgroundWork } from './jobs/background.js';
import { startWebhooks } from './jobs/webhooks.js';
import { whatsappReplies } from './jobs/whatsapp-send.js';
import { countAccountsByStatus, isAccountStopped } from './adapters/whatsapp/account-store.js';
import { startWhatsappAccounts } from './adapters/whatsapp/start-accounts.js';

/**
 * The one composition root: read config, build adapters, start. Shutdown runs in the
 * reverse order: stop taking requests, let workers finish, close pools, stop the
 * embedded database last.
 */
async function main(config: Config): Promise<void> {
  const logger = pino({
    level: config.logLevel,
    redact: ['req.headers.authorization', 'req.headers["x-switchboard-signature"]'],
    // Lines logged during a request or a job carry its reqId or jobId (log-context.ts).
    mixin: logContextMixin,
  });
  const cleanups: Array<{ name: string; run: () => Promise<void> }> = [];
  const shutdown = installShutdown(logger, cleanups);

  try {
    let embedded: EmbeddedPostgres | undefined;
    if (!config.databaseUrl) {
      const lock = await lockDataDir(config.dataDir);
      cleanups.unshift({ name: 'data dir lock', run: () => lock.release() });
      logger.info(`no DATABASE_URL: starting the embedded PostgreSQL in ${config.dataDir}`);
      const started = await startEmbeddedPostgres({
        dataDir: config.dataDir,
        log: {
          info: (msg) => logger.info(msg),
          warn: (msg) => logger.warn(msg),
          debug: (msg) => logger.debug(msg),
        },
      });
      embedded = started;
      const { port } = new URL(started.url);
      logger.info(
        { embeddedPostgresPort: Number(port) },
        `embedded PostgreSQL is listening on 127.0.0.1:${port} ` +
          `(database and user "switchboard", password in ${config.dataDir}/postgres.password)`,
      );
      cleanups.unshift({ name: 'embedded PostgreSQL', run: () => started.stop() });
    }
    const databaseUrl = config.databaseUrl ?? embedded?.url;
    if (!databaseUrl) throw new Error('no database');

    const { db } = createDatabase({ url: databaseUrl });
    cleanups.unshift({ name: 'database pool', run: () => db.destroy() });
    const migrated = await migrateToLatest(db);
    const applied = (migrated.results ?? []).filter((r) => r.status === 'Success');
    logger.info(
      applied.length
        ? `database migrated: ${applied.map((r) => r.migrationName).join(', ')}`
        : 'database schema is up to date',
    );

    // SWITCHBOARD_METRICS=off: nothing is counted at all.
    const metrics =
      config.metrics.serve === 'off'
        ? undefined
        : createMetrics({
            onSourceError: (source, error) => logger.warn({ err: error }, `metrics: ${source}`),
          });

    // Every request to a URL a user gave goes through this client: non-public addresses are
    // refused unless SWITCHBOARD_OUTBOUND_ALLOW allows them (adapters/http/outbound-guard.ts).
    // Closed after the job queues, whose workers use it.
    const outboundGuard = createOutboundGuard(config.outbound);
    cleanups.unshift({ name: 'outbound HTTP client', run: () => outboundGuard.close() });

    const onQueueError = (error: Error, queue: string) =>
      logger.warn({ err: error, queue }, 'job queue connection');
    const queues = createQueueBackend(
      config.redisUrl
        ? { kind: 'redis', url: config.redisUrl, recorder: metrics, onError: onQueueError }
        : { kind: 'postgres', url: databaseUrl, recorder: metrics, onError: onQueueError },
    );
    cleanups.unshift({ name: 'job queues', run: () => queues.close() });
    logger.info(`job queue: BullMQ on ${queues.kind === 'redis' ? 'Redis' : 'PostgreSQL'}`);

    // WhatsApp replies are sent by the node running the account (jobs/whatsapp-send.ts).
    const replies = whatsappReplies({
      queues,
      store: outboundStore(db),
      accountStopped: (channelId) => isAccountStopped(db, channelId),
      onError: (error) => logger.warn({ err: error }, 'WhatsApp replies'),
    });
    const outbound = {
      ...outboundStore(db),
      postSigned: (url: string, secret: string, body: string) =>
        postSigned(outboundGuard, url, secret, body),
      handOff: replies.handOff,
    };
    const deliverJob = deliverOutboundJob(outbound);
    const deliverWorker = startWorker(queues, deliverJob);
    deliverWorker.on('failed', (job, error) => {
      // Failed for good (refused by the channel or by the outbound policy): say why.
      if (job && error instanceof UnrecoverableError) {
        logger.warn({ messageId: (job.data as { messageId?: string }).messageId }, error.message);
      }
      // Out of tries: the reply is marked failed instead of pending forever.
      if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
        const messageId = (job.data as { messageId?: string }).messageId;
        if (messageId) void outbound.markStatus(messageId, 'failed').catch(() => undefined);
      }
    });

    const stopBackground = startBackgroundWork(db, queues, {
      onError: (error) => logger.warn({ err: error }, 'outbox relay'),
    });
    cleanups.unshift({ name: 'background work', run: stopBackground });

    const platform = config.platformToken
      ? { token: config.platformToken, created: false, file: undefined }
      : embedded
        ? await loadOrCreatePlatformToken(config.dataDir)
        : undefined;
    if (!platform) {
      logger.warn('SWITCHBOARD_PLATFORM_TOKEN is not set: nobody can create organizations');
    }

    const events = await createEventBus(db, databaseUrl, (error) =>
      logger.warn({ err: error }, 'event bus'),
    );
    cleanups.unshift({ name: 'event bus', run: () => events.close() });
    const live = new EventStreamHub(db, events, (error) =>
      logger.warn({ err: error }, 'event stream'),
    );
    cleanups.unshift({ name: 'event streams', run: () => Promise.resolve(live.close()) });

    const webhooks = startWebhooks(db, events, queues, {
      outbound: outboundGuard,
      recordDelivery: (outcome) => metrics?.webhookDelivery(outcome),
      onError: (error) => logger.warn({ err: error }, 'webhook dispatch'),
    });
    cleanups.unshift({ name: 'webhook dispatch', run: () => webhooks.stop() });

    const ingest = createIngestPipeline(db, {
      recorder: metrics,
      afterIngest: routeNewChats,
      onAfterIngestError: (error) => logger.error({ err: error }, 'routing of new chats failed'),
      onRetry: (error, attempt) => logger.warn({ err: error, attempt }, 'ingest batch retried'),
    });
    cleanups.unshift({ name: 'ingest pipeline', run: () => ingest.close() });

    // WhatsApp does not send a message again: what cannot be stored now waits in the queue.
    const whatsappIngest = durableIngest(ingest, queues, {
      onQueued: (m) =>
        logger.warn(
          { channelId: m.channelId, providerMessageId: m.providerMessageId },
          'inbound message queued until the database is back',
        ),
    });
    cleanups.unshift({ name: 'inbound retries', run: () => whatsappIngest.stop() });

    // Each WhatsApp account runs on one node at a time (its lease); see adapters/whatsapp/.
    const whatsapp = startWhatsappAccounts({
      db,
      ingest: whatsappIngest,
      events,
      companion: replies.companion,
      log: logger,
      databaseUrl,
      redisUrl: config.redisUrl,
      dataDir: config.dataDir,
      chromiumPath: config.chromiumPath,
    });
    cleanups.unshift({ name: 'WhatsApp accounts', run: () => whatsapp.close() });

    metrics?.readFrom({
      queueDepths: () => queues.jobCounts(),
      openStreams: () => live.openStreams(),
      whatsappAccounts: () => countAccountsByStatus(db),
    });

    const access = new WorkspaceAccessCache(db);
    const identity = identityDirectory(db);
    const presence = createPresence({
      now: () => new Date(),
      record: (ws, userId, at) => recordLastSeen(db, ws, userId, at),
      recordToken: (hash, at) => recordTokenUse(db, hash, at),
    });
    // The Slack admin bot, when its two secrets are set (README "Slack").
    const slack =
      config.slack &&
      createSlackBot(
        {
          db,
          access,
          identity,
          events,
          live,
          presence,
          now: () => new Date(),
          publicUrl: config.publicUrl,
          log: logger,
        },
        config.slack,
      );
    if (slack) cleanups.unshift({ name: 'Slack bot', run: () => slack.close() });

    // Rate limits count in Redis when there is one, so every node counts together.
    const rateLimitRedis = config.redisUrl
      ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false })
      : undefined;
    rateLimitRedis?.on('error', (error) => logger.warn({ err: error }, 'rate limits: Redis'));
    if (rateLimitRedis) {
      const redis = rateLimitRedis;
      cleanups.unshift({ name: 'rate-limit Redis', run: async () => void (await redis.quit()) });
    }

    const app = await buildServer({
      loggerInstance: logger,
      rateLimits: {
        settings: config.rateLimits,
        ...(rateLimitRedis ? { redis: rateLimitRedis } : {}),
      },
      metrics: metrics && { metrics, route: config.metrics.serve === 'main' },
      bodyLimitBytes: config.bodyLimitBytes,
      readiness: { database: () => pingDatabase(db), queue: () => queues.ping() },
      routes: (server) =>
        registerApiRoutes(server, {
          db,
          access,
          identity,
          presence,
          ...(slack ? { slack } : {}),
          platformToken: platform?.token,
          publicUrl: config.publicUrl,
          now: () => new Date(),
          outbound: outboundGuard,
          events,
          live,
          ingest,
          replayDelivery: (ws, webhookId, deliveryId) => webhooks.replay(ws, webhookId, deliveryId),
          whatsapp: whatsapp.accounts,
          enqueueOutbound: async (messageId) => {
            await enqueue(queues, deliverJob, { messageId }, { jobId: deliveryJobId(messageId) });
          },
        }),
    });
    cleanups.unshift({ name: 'HTTP server', run: () => app.close() });
    await app.listen({ host: config.host, port: config.port });
    if (metrics && config.metrics.serve === 'own-port') {
      const metricsServer = await startMetricsServer(
        metrics,
        { host: config.host, port: config.metrics.port },
        (error) => logger.warn({ err: error }, 'metrics scrape failed'),
      );
      // Closed first: a scrape must not read queues and pools being closed.
      cleanups.unshift({ name: 'metrics server', run: () => metricsServer.close() });
      logger.info(`metrics: http://${config.host}:${metricsServer.port}/metrics`);
    }

    if (platform?.created) printFirstStart(config, platform.token, platform.file);
  } catch (error) {
    if (error instanceof StartupError) {
      // Something the person starting it can act on: one line, no stack trace.
      logger.fatal(`Switchboard could not start: ${error.message}`);
      process.stderr.write(`Switchboard could not start: ${error.message}\n`);
    } else {
      logger.fatal({ err: error }, 'Switchboard could not start');
    }
    await shutdown(1);
  }
}

function installShutdown(
  logger: pino.Logger,
  cleanups: Array<{ name: string; run: () => Promise<void> }>,
): (code: number) => Promise<void> {
  let shuttingDown = false;
  const shutdown = async (code: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    // A stuck dependency must not keep the process alive forever.
    setTimeout(() => {
      logger.error('shutdown took longer than 20 s; exiting anyway');
      process.exit(1);
    }, 20_000).unref();
    for (const cleanup of cleanups) {
      try {
        await cleanup.run();
      } catch (error) {
        logger.warn({ err: error }, `closing the ${cleanup.name} failed`);
      }
    }
    logger.info('Switchboard stopped');
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      // A terminal's Ctrl-C reaches npm, tsx and this process alike, and wrappers relay it
      // again: repeats are ignored; the timeout above bounds a stuck shutdown.
      if (shuttingDown) return;
      logger.info(`${signal}: shutting down`);
      void shutdown(0);
    });
  }
  return shutdown;
}

function printFirstStart(config: Config, token: string, file: string | undefined): void {
  const url = config.publicUrl;
  process.stdout.write(
    [
      '',
      '  Switchboard generated a platform token (it may only create organizations).',
      `  It is shown once here${file ? ` and kept in ${file}` : ''}:`,
      '',
      `    ${token}`,
      '',
      '  Create your first organization, workspace and owner:',
      '',
      `    curl -sS -X POST ${url}/v1/organizations \\`,
      `      -H 'Authorization: Bearer ${token}' \\`,
      `      -H 'Content-Type: application/json' \\`,
      `      -d '{"name":"Acme","workspace":{"name":"Support"},"owner":{"email":"you@example.com","name":"You"}}'`,
      '',
    ].join('\n') + '\n',
  );
}

let config: Config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(78); // EX_CONFIG
}
void main(config);
