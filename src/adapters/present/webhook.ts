import { z } from 'zod';
import type { WebhookDeliveryRecord, WebhookRecord } from '../../core/webhooks/webhooks-store.js';

/** A webhook subscription as the API shows it (shared/API.md); its secret only at creation. */
export const webhookSchema = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  status: z.enum(['active', 'disabled']),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
});

export const webhookDeliverySchema = z.object({
  id: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  chatId: z.string().nullable(),
  status: z.enum(['pending', 'succeeded', 'failed', 'dead']),
  attempts: z.number(),
  lastStatusCode: z.number().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
});

export function presentWebhook(w: WebhookRecord): z.infer<typeof webhookSchema> {
  return {
    id: w.id,
    url: w.url,
    events: w.events,
    status: w.status,
    createdBy: w.createdBy,
    createdAt: w.createdAt.toISOString(),
  };
}

export function presentWebhookDelivery(
  d: WebhookDeliveryRecord,
): z.infer<typeof webhookDeliverySchema> {
  return {
    id: d.id,
    eventId: d.eventId,
    eventType: d.eventType,
    chatId: d.chatId,
    status: d.status,
    attempts: d.attempts,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    createdAt: d.createdAt.toISOString(),
    deliveredAt: d.deliveredAt ? d.deliveredAt.toISOString() : null,
  };
}
