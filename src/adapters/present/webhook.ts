import { z } from 'zod';
import type { SwitchboardEvent } from '../../core/events/events.js';
import type { WebhookDeliveryRecord, WebhookRecord } from '../../core/webhooks/webhooks-store.js';

/** A webhook subscription as the API shows it (shared/API.md); its secret only at creation. */
export const webhookSchema = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  status: z.enum(['active', 'disabled']),
  createdBy: z.string().nullable(),
  /** The member the subscription acts as (whose view and masking it carries); null: its creator. */
  asUserId: z.string().nullable(),
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
    asUserId: w.asUserId,
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

/**
 * A `member.revoked` notice as webhooks carry it. The member's email goes out as the member
 * list shows it (`presentMembers`): a colleague's email is how members find each other, not a
 * contact identifier, so masking (of contacts' phones and emails) does not hide it, and every
 * active member may read it in the member list anyway (`mayViewMembers`).
 */
export interface MemberRevokedJson {
  type: 'member.revoked';
  workspaceId: string;
  userId: string;
  name: string;
  email: string;
  reassignTo: string | null;
  jobId: string;
  revokedAt: string;
}

export function presentMemberRevoked(
  event: Extract<SwitchboardEvent, { type: 'member.revoked' }>,
  member: { name: string; email: string },
): MemberRevokedJson {
  return {
    type: 'member.revoked',
    workspaceId: event.workspaceId,
    userId: event.userId,
    name: member.name,
    email: member.email,
    reassignTo: event.reassignTo,
    jobId: event.jobId,
    revokedAt: event.revokedAt,
  };
}
