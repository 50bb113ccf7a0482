import { UnrecoverableError, type Job } from 'bullmq';
import { z } from 'zod';
import type { DeliverOutboundDeps, OutboundMessage } from '../core/chats/deliver-outbound.js';
import { PermanentDeliveryError } from '../core/chats/deliver-outbound.js';
import {
  sendThroughAccount,
  type SendThroughAccountDeps,
} from '../core/chats/send-through-account.js';
import type { QueueBackend } from '../adapters/queue/backend.js';
import type { AccountCompanion } from '../adapters/whatsapp/accounts.js';
import { defineJob, enqueue, startWorker } from './define-job.js';

/**
 * Replies through WhatsApp, with several nodes. A WhatsApp account runs on one node at a
 * time (its lease), and only that node's client can send. So each account has a queue of its
 * own, `whatsapp-send.<channelId>`, and only the node holding the account's lease runs a
 * worker for it (started beside the client, stopped before the lease is given up): a reply
 * waits in the queue while the account moves between nodes and is sent by whoever holds it
 * next. The worker takes one job at a time, so replies leave in the order they were written.
 *
 * The way in is the ordinary `channel.deliver-outbound` job, which any node may run: for a
 * WhatsApp reply it only hands the message over to the account's queue (`handOff`). While the
 * account is not connected (a QR code not scanned yet, a restart) the send fails and is
 * retried with backoff; after the last try the message is marked `failed`. A reply to an
 * account that is logged out or disabled fails at once, and those already waiting when it
 * stops are failed by `abandon`: nothing waits silently for an account nobody will run.
 *
 * (The alternative, the deliver job retrying on whichever node holds no lease until the
 * holder happens to pick it up, would spend its tries on the wrong nodes and keep no order.)
 */
export const whatsappSendQueue = (channelId: string): string => `whatsapp-send.${channelId}`;

const payload = z.object({ messageId: z.string().min(1) });

export function whatsappSendJob(
  channelId: string,
  deps: SendThroughAccountDeps | undefined,
  options: { attempts?: number; backoffMs?: number } = {},
) {
  return defineJob({
    name: whatsappSendQueue(channelId),
    type: 'whatsapp-send',
    payload,
    attempts: options.attempts ?? 8,
    backoffMs: options.backoffMs ?? 2_000,
    concurrency: 1,
    async handle(data) {
      if (!deps) throw new Error('this node only enqueues WhatsApp replies');
      try {
        return await sendThroughAccount(deps, data);
      } catch (error) {
        if (error instanceof PermanentDeliveryError) throw new UnrecoverableError(error.message);
        throw error;
      }
    },
  });
}

export interface WhatsappRepliesOptions {
  queues: QueueBackend;
  store: Pick<DeliverOutboundDeps, 'load' | 'markStatus'> &
    Pick<SendThroughAccountDeps, 'markSent'>;
  /** Logged out, disabled or deleted: nobody will run it. */
  accountStopped(channelId: string): Promise<boolean>;
  attempts?: number;
  backoffMs?: number;
  onError?: (error: unknown) => void;
}

export function whatsappReplies(options: WhatsappRepliesOptions): {
  handOff: NonNullable<DeliverOutboundDeps['handOff']>;
  companion: AccountCompanion;
} {
  const { queues, store } = options;
  const jobOptions = { attempts: options.attempts, backoffMs: options.backoffMs };
  const failMessage = (messageId: string) =>
    store.markStatus(messageId, 'failed').catch((error: unknown) => options.onError?.(error));

  return {
    async handOff(message: OutboundMessage) {
      const channelId = message.channel.id;
      if (await options.accountStopped(channelId)) return 'account_stopped';
      const jobId = `wa-${message.id}`;
      await enqueue(
        queues,
        whatsappSendJob(channelId, undefined, jobOptions),
        { messageId: message.id },
        { jobId },
      );
      // Stopped meanwhile: the nodes may have abandoned its queue already, so take it back.
      if (await options.accountStopped(channelId)) {
        await queues
          .queue(whatsappSendQueue(channelId))
          .remove(jobId)
          .catch(() => 0);
        return 'account_stopped';
      }
      return 'queued';
    },

    companion: {
      async start(account) {
        const job = whatsappSendJob(
          account.channelId,
          {
            channelId: account.channelId,
            load: store.load,
            send: (chatId, text) => account.send(chatId, text),
            markSent: async (messageId, providerMessageId) => {
              await store.markSent(messageId, providerMessageId);
              await account.recorded(providerMessageId);
            },
            markStatus: store.markStatus,
          },
          jobOptions,
        );
        const worker = startWorker(queues, job);
        worker.on('error', (error) => options.onError?.(error));
        worker.on('failed', (failed: Job | undefined) => {
          // Out of tries (an account that never connected): failed, not pending forever.
          if (failed && failed.attemptsMade >= (failed.opts.attempts ?? 1)) {
            const { messageId } = failed.data as { messageId?: string };
            if (messageId) void failMessage(messageId);
          }
        });
        await worker.waitUntilReady();
        return { stop: () => worker.close() };
      },

      async abandon(channelId) {
        const queue = queues.queue(whatsappSendQueue(channelId));
        const waiting = await queue.getJobs(['waiting', 'delayed', 'prioritized']);
        for (const job of waiting) {
          const parsed = payload.safeParse(job.data);
          if (parsed.success) await failMessage(parsed.data.messageId);
          await job.remove().catch(() => undefined);
        }
      },
    },
  };
}
