import { DelayedError, type Worker } from 'bullmq';
import { z } from 'zod';
import { allows, buildPrincipal } from '../core/access/index.js';
import { isChatEvent, type ChatEvent, type ReceivedEvent } from '../core/events/events.js';
import { deliverWebhook } from '../core/webhooks/deliver-webhook.js';
import { WorkspaceAccessCache } from '../adapters/db/access/access-cache.js';
import { loadChatEventView } from '../adapters/db/chat-reads.js';
import type { Database } from '../adapters/db/database.js';
import type { EventBus } from '../adapters/db/event-bus.js';
import { webhookStore } from '../adapters/db/webhook-store.js';
import { postSigned } from '../adapters/http/post-signed.js';
import { presentChatEvent } from '../adapters/present/event.js';
import type { QueueBackend } from '../adapters/queue/backend.js';
import { defineJob, enqueue, startWorker } from './define-job.js';

/**
 * Outbound webhooks (PRODUCT.md §5): every chat event becomes one delivery per matching
 * subscription — only if the subscription's creator may see the chat, redacted for them —
 * POSTed signed, retried with exponential backoff, in order per chat, dead-lettered after the
 * last try, and replayable through the API.
 */
export interface WebhookOptions {
  attempts?: number;
  backoffMs?: number;
  timeoutMs?: number;
  /** Counts deliveries (metrics): each try that succeeded or failed, each one given up. */
  recordDelivery?: (outcome: 'succeeded' | 'failed' | 'dead') => void;
}

export function webhookDeliveryJob(db: Database, options: WebhookOptions = {}) {
  const store = webhookStore(db);
  return defineJob({
    name: 'webhook.deliver',
    payload: z.object({ deliveryId: z.string().min(1) }),
    attempts: options.attempts ?? 8,
    backoffMs: options.backoffMs ?? 2_000,
    concurrency: 8,
    async handle({ deliveryId }, job, token) {
      try {
        return await deliverWebhook(
          {
            ...store,
            recordAttempt: async (id, outcome) => {
              await store.recordAttempt(id, outcome);
              options.recordDelivery?.(outcome.status);
            },
            postSigned: (url, secret, body) =>
              postSigned(url, secret, body, options.timeoutMs ?? 10_000),
          },
          { deliveryId },
        );
      } catch (error) {
        const delivery = await store.load(deliveryId);
        if (delivery?.status === 'pending' && token) {
          // Waiting behind an earlier event of the same chat is not a failed try.
          await job.moveToDelayed(Date.now() + 250, token);
          throw new DelayedError();
        }
        throw error;
      }
    },
  });
}

export function startWebhooks(
  db: Database,
  bus: EventBus,
  queues: QueueBackend,
  options: WebhookOptions & { onError?: (error: unknown) => void } = {},
) {
  const store = webhookStore(db);
  const job = webhookDeliveryJob(db, options);
  // Each event is decided against its workspace's current access facts, kept while current.
  const access = new WorkspaceAccessCache(db);
  const worker: Worker = startWorker(queues, job);
  worker.on('failed', (failed) => {
    const deliveryId = (failed?.data as { deliveryId?: string } | undefined)?.deliveryId;
    if (failed && deliveryId && failed.attemptsMade >= (failed.opts.attempts ?? 1)) {
      options.recordDelivery?.('dead');
      void store.markDead(deliveryId).catch(() => undefined);
    }
  });

  type Hook = { id: string; events: string[]; created_by: string | null };
  /** The active subscriptions of the workspaces of a run of events, in one query. */
  const subscriptions = async (events: readonly ReceivedEvent[]) => {
    const workspaces = [...new Set(events.map((e) => e.workspaceId))];
    const rows = await db
      .selectFrom('webhooks')
      .select(['id', 'events', 'created_by', 'workspace_id'])
      .where('workspace_id', 'in', workspaces)
      .where('status', '=', 'active')
      .execute();
    const byWorkspace = new Map<string, Hook[]>();
    for (const row of rows)
      byWorkspace.set(row.workspace_id, [...(byWorkspace.get(row.workspace_id) ?? []), row]);
    return byWorkspace;
  };

  const dispatch = async (event: ChatEvent & { id: string }, hooks: readonly Hook[]) => {
    const matching = hooks.filter((h) => h.events.includes('*') || h.events.includes(event.type));
    if (!matching.length) return;
    const [loaded, facts] = await Promise.all([
      loadChatEventView(db, event),
      access.workspaceAccess(event.workspaceId),
    ]);
    if (!loaded) return;
    for (const hook of matching) {
      const creator = hook.created_by ? buildPrincipal(facts, hook.created_by) : undefined;
      // The subscription acts as its creator: their rights, their masking.
      if (!creator || creator.status !== 'active') continue;
      if (!allows(creator, 'chat.view', loaded.facts)) continue;
      const payload = { id: event.id, ...presentChatEvent(creator, loaded) };
      const deliveryId = await store.create({
        workspaceId: event.workspaceId,
        webhookId: hook.id,
        eventId: event.id,
        eventType: event.type,
        chatId: event.chatId,
        payload,
      });
      if (deliveryId) await enqueue(queues, job, { deliveryId }, { jobId: `dlv-${deliveryId}` });
    }
  };
  // Events of one process are handled one after another, so deliveries are created in order.
  // Events that arrive while a run is handled wait and form the next run, whose subscriptions
  // are read once: a busy workspace (thousands of messages a second) costs one query per run,
  // not one per event, and a subscription made a moment ago is seen by the next run.
  let queued: Array<ChatEvent & { id: string }> = [];
  let draining: Promise<void> | undefined;
  // A database hiccup must not cost deliveries: reading subscriptions and creating deliveries
  // are tried again with backoff for ~20 s (deliveries are unique per subscription and event,
  // so a retry never doubles one) before the run's events are given up, logged.
  let stopping = false;
  const persist = async <T>(work: () => Promise<T>, fallback: T): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        options.onError?.(error);
        if (stopping || attempt >= 8) return fallback;
        await new Promise((resolve) => setTimeout(resolve, Math.min(4_000, 125 * 2 ** attempt)));
      }
    }
  };
  const drain = async () => {
    while (queued.length) {
      const run = queued;
      queued = [];
      const hooks = await persist(() => subscriptions(run), new Map<string, Hook[]>());
      for (const event of run) {
        const forWorkspace = hooks.get(event.workspaceId);
        if (forWorkspace) await persist(() => dispatch(event, forWorkspace), undefined);
      }
    }
    draining = undefined;
  };
  const unsubscribe = bus.subscribe((event) => {
    // Only chat events become webhooks (not access changes, not a channel's status or QR).
    if (!isChatEvent(event)) return;
    queued.push(event);
    draining ??= drain();
  });

  return {
    /** Puts a dead (or failed) delivery back in line. */
    async replay(workspaceId: string, webhookId: string, deliveryId: string): Promise<boolean> {
      const ok = await store.replay(workspaceId, webhookId, deliveryId);
      if (ok)
        await enqueue(
          queues,
          job,
          { deliveryId },
          { jobId: `dlv-${deliveryId}-replay-${Date.now()}` },
        );
      return ok;
    },
    async stop() {
      unsubscribe();
      stopping = true;
      await draining;
    },
  };
}
