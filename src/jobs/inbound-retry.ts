import { z } from 'zod';
import type { QueueBackend } from '../adapters/queue/backend.js';
import { isTransient, type IngestPipeline } from '../adapters/db/ingest-pipeline.js';
import type { InboundMessage } from '../core/chats/inbound-message.js';
import { phoneOrNull } from '../core/contacts/phone.js';
import { defineJob, enqueue, startWorker } from './define-job.js';

/**
 * A webhook sender that gets no 202 sends again; a WhatsApp client does not. So a message
 * from such a channel that cannot be stored now (the database is away for longer than the
 * pipeline's own retries) is handed to the queue, `inbound.retry`, and stored by a worker
 * when the database is back — ingest is idempotent, so a message that was stored after all is
 * not stored twice. With the queue on Redis this survives a database outage and a restart of
 * this process; with the queue on PostgreSQL, and while even the queue cannot be reached, the
 * message is kept in memory and offered again with backoff.
 */
const payload = z.object({
  workspaceId: z.string(),
  channelId: z.string(),
  externalChatId: z.string(),
  providerMessageId: z.string(),
  contact: z.object({
    name: z.string(),
    // E.164 (the inputs normalised it). A job queued before phones kept their '+' carries bare
    // digits: normalised here; one that cannot be made international is kept without a phone
    // rather than failed, since this queue exists so that no message is lost.
    phone: z
      .string()
      .nullable()
      .transform((phone) => phoneOrNull(phone)),
    email: z.string().nullable(),
  }),
  text: z.string(),
  sentAt: z.iso.datetime(),
  isGroup: z.boolean().optional(),
  senderExternalId: z.string().nullable().optional(),
  media: z
    .object({
      type: z.string(),
      mimetype: z.string().nullable(),
      filename: z.string().nullable(),
      size: z.number().nullable(),
    })
    .nullable()
    .optional(),
  fromMe: z.boolean().optional(),
});

export function inboundRetryJob(ingest: Pick<IngestPipeline, 'submit'>) {
  return defineJob({
    name: 'inbound.retry',
    payload,
    attempts: 25,
    backoffMs: 2_000,
    async handle(m) {
      const stored = await ingest.submit({ ...m, sentAt: new Date(m.sentAt) });
      return { duplicate: stored.duplicate };
    },
  });
}

/**
 * An ingest for channels that cannot send a message again: it resolves once the message is
 * stored or safely queued, and rejects only for a message that can never be stored (invalid).
 */
export function durableIngest(
  ingest: Pick<IngestPipeline, 'submit'>,
  queues: QueueBackend,
  options: { retryMs?: number; maxRetryMs?: number; onQueued?: (m: InboundMessage) => void } = {},
): { submit(m: InboundMessage): Promise<void>; stop(): Promise<void> } {
  const job = inboundRetryJob(ingest);
  const worker = startWorker(queues, job);
  let stopped = false;
  return {
    async submit(m) {
      let delay = options.retryMs ?? 1_000;
      for (;;) {
        try {
          await ingest.submit(m);
          return;
        } catch (error) {
          if (!isTransient(error) || stopped) throw error;
        }
        try {
          await enqueue(
            queues,
            job,
            { ...m, sentAt: m.sentAt.toISOString() },
            { jobId: `inbound-${m.channelId}-${m.providerMessageId}`.replace(/:/g, '_') },
          );
          options.onQueued?.(m);
          return;
        } catch {
          // Neither the database nor the queue: keep it here and offer it again.
          await new Promise((resolve) => setTimeout(resolve, delay));
          delay = Math.min(delay * 2, options.maxRetryMs ?? 30_000);
        }
      }
    },
    async stop() {
      stopped = true;
      await worker.close();
    },
  };
}
