import { UnrecoverableError } from 'bullmq';
import { z } from 'zod';
import {
  deliverOutbound,
  PermanentDeliveryError,
  type DeliverOutboundDeps,
} from '../core/chats/deliver-outbound.js';
import { defineJob, type JobSpec } from './define-job.js';

/** The delivery job as producers see it (the outbox relay queues it from any process). */
export const deliverOutboundSpec = {
  name: 'channel.deliver-outbound',
  payload: z.object({ messageId: z.string().min(1) }),
  attempts: 8,
} as const satisfies JobSpec<z.ZodType>;

/** One job per reply, whoever queues it (the outbox relay, or the request right after commit). */
export const deliveryJobId = (messageId: string) => `deliver-${messageId}`;

/** Sends a stored reply to its channel, retried with backoff; permanent refusals are not retried. */
export const deliverOutboundJob = (deps: DeliverOutboundDeps) =>
  defineJob({
    ...deliverOutboundSpec,
    concurrency: 8,
    async handle(payload) {
      try {
        return await deliverOutbound(deps, payload);
      } catch (error) {
        if (error instanceof PermanentDeliveryError) throw new UnrecoverableError(error.message);
        throw error;
      }
    },
  });
