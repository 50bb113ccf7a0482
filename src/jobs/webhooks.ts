import { DelayedError, UnrecoverableError, type Worker } from 'bullmq';
import { z } from 'zod';
import {
  allows,
  mayViewMembers,
  webhookPrincipal,
  type WorkspaceAccessFacts,
} from '../core/access/index.js';
import {
  isChatEvent,
  type ChatEvent,
  type ReceivedEvent,
  type SwitchboardEvent,
} from '../core/events/events.js';
import { OutboundRefused } from '../core/outbound/outbound-policy.js';
import { deliverWebhook } from '../core/webhooks/deliver-webhook.js';
import { WorkspaceAccessCache } from '../adapters/db/access/access-cache.js';
import { loadChatEventView } from '../adapters/db/chat-reads.js';
import type { Database } from '../adapters/db/database.js';
import type { EventBus } from '../adapters/db/event-bus.js';
import { webhookStore } from '../adapters/db/webhook-store.js';
import type { OutboundGuard } from '../adapters/http/outbound-guard.js';
import { postSigned } from '../adapters/http/post-signed.js';
import { presentChatEvent } from '../adapters/present/event.js';
import { presentMemberRevoked } from '../adapters/present/webhook.js';
import type { QueueBackend } from '../adapters/queue/backend.js';
import { defineJob, enqueue, startWorker } from './define-job.js';

/**
 * Outbound webhooks (PRODUCT.md §5): every chat event becomes one delivery per matching
 * subscription — only if the principal the subscription acts as (its creator, or the member it
 * names: `webhookPrincipal`) may see the chat, redacted for them — POSTed signed, retried with
 * exponential backoff, in order per chat, dead-lettered after the last try, and replayable
 * through the API. A `member.revoked` notice becomes one delivery per subscription that asked
 * for it whose principal may read the member list (`mayViewMembers`: any active member).
 */
export interface WebhookOptions {
  /** The HTTP client for subscribers' URLs (refuses non-public addresses). */
  outbound: Pick<OutboundGuard, 'fetch'>;
  attempts?: number;
  backoffMs?: number;
  timeoutMs?: number;
  /** Counts deliveries (metrics): each try that succeeded or failed, each one given up. */
  recordDelivery?: (outcome: 'succeeded' | 'failed' | 'dead') => void;
}

export function webhookDeliveryJob(db: Database, options: WebhookOptions) {
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
              postSigned(options.outbound, url, secret, body, options.timeoutMs ?? 10_000),
          },
          { deliveryId },
        );
      } catch (error) {
        // Refused by the outbound policy: dead already (deliverWebhook), never tried again.
        if (error instanceof OutboundRefused) throw new UnrecoverableError(error.reason);
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
  options: WebhookOptions & { onError?: (error: unknown) => void },
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

  type Hook = {
    id: string;
    events: string[];
    created_by: string | null;
    as_user_id: string | null;
  };
  /** What becomes webhooks: chat events and member notices (not access changes or QR codes). */
  type Dispatched = (ChatEvent | Extract<SwitchboardEvent, { type: 'member.revoked' }>) & {
    id: string;
  };
  /** The active subscriptions of the workspaces of a run of events, in one query. */
  const subscriptions = async (events: readonly ReceivedEvent[]) => {
    const workspaces = [...new Set(events.map((e) => e.workspaceId))];
    const rows = await db
      .selectFrom('webhooks')
      .select(['id', 'events', 'created_by', 'as_user_id', 'workspace_id'])
      .where('workspace_id', 'in', workspaces)
      .where('status', '=', 'active')
      .execute();
    const byWorkspace = new Map<string, Hook[]>();
    for (const row of rows)
      byWorkspace.set(row.workspace_id, [...(byWorkspace.get(row.workspace_id) ?? []), row]);
    return byWorkspace;
  };

  const actingAs = (facts: WorkspaceAccessFacts, hook: Hook) =>
    webhookPrincipal(facts, { createdBy: hook.created_by, asUserId: hook.as_user_id });

  const dispatchMemberRevoked = async (
    event: Extract<Dispatched, { type: 'member.revoked' }>,
    matching: readonly Hook[],
  ) => {
    const [member, facts] = await Promise.all([
      store.member(event.workspaceId, event.userId),
      access.workspaceAccess(event.workspaceId),
    ]);
    if (!member) return;
    const payload = { id: event.id, ...presentMemberRevoked(event, member) };
    for (const hook of matching) {
      const principal = actingAs(facts, hook);
      if (!principal || !mayViewMembers(principal)) continue;
      const deliveryId = await store.create({
        workspaceId: event.workspaceId,
        webhookId: hook.id,
        eventId: event.id,
        eventType: event.type,
        chatId: null,
        payload,
      });
      if (deliveryId) await enqueue(queues, job, { deliveryId }, { jobId: `dlv-${deliveryId}` });
    }
  };

  const dispatch = async (event: Dispatched, hooks: readonly Hook[]) => {
    const matching = hooks.filter((h) => h.events.includes('*') || h.events.includes(event.type));
    if (!matching.length) return;
    if (event.type === 'member.revoked') return dispatchMemberRevoked(event, matching);
    const [loaded, facts] = await Promise.all([
      loadChatEventView(db, event),
      access.workspaceAccess(event.workspaceId),
    ]);
    if (!loaded) return;
    for (const hook of matching) {
      // The subscription acts as its creator or the member it names: their rights, their
      // masking; nothing while either is not an active member.
      const principal = actingAs(facts, hook);
      if (!principal || !allows(principal, 'chat.view', loaded.facts)) continue;
      const payload = { id: event.id, ...presentChatEvent(principal, loaded) };
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
  let queued: Dispatched[] = [];
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
    // Chat events and member notices become webhooks (not access changes, not a channel's
    // status or QR).
    if (!isChatEvent(event) && event.type !== 'member.revoked') return;
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
