import { UnrecoverableError } from 'bullmq';
import { z } from 'zod';
import {
  deliverOutbound,
  PermanentDeliveryError,
  type DeliverOutboundDeps,
} from '../core/chats/deliver-outbound.js';
import { defineJob } from './define-job.js';

/** Sends a stored reply to its channel, retried with backoff; permanent refusals are not retried. */
export const deliverOutboundJob = (deps: DeliverOutboundDeps) =>
  defineJob({
    name: 'channel.deliver-outbound',
    payload: z.object({ messageId: z.string().min(1) }),
    attempts: 8,
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
