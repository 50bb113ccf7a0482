import type { Principal } from '../access/index.js';
import { AppError } from '../errors.js';
import { requireWebhook } from './require-webhook.js';
import type { WebhookDeliveryRecord, WebhooksStore } from './webhooks-store.js';

/**
 * One page of a subscription's deliveries, newest first (integrations.manage); dead ones are
 * replayable (`replayWebhookDelivery`).
 */
export interface ListWebhookDeliveriesInput {
  actor: Principal;
  workspaceId: string;
  webhookId: string;
  /** 1–200. */
  limit: number;
  cursor?: string;
}

export interface ListWebhookDeliveriesDeps {
  store: WebhooksStore;
}

export async function listWebhookDeliveries(
  deps: ListWebhookDeliveriesDeps,
  input: ListWebhookDeliveriesInput,
): Promise<{ items: WebhookDeliveryRecord[]; nextCursor: string | null }> {
  const { actor, workspaceId, webhookId, limit } = input;
  await requireWebhook(deps.store, actor, workspaceId, webhookId);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) {
    throw new AppError('invalid_input', 'limit must be 1–200', {
      details: [{ path: 'query.limit', message: 'between 1 and 200' }],
    });
  }
  return deps.store.listDeliveries(workspaceId, webhookId, {
    limit,
    cursor: input.cursor ?? null,
  });
}
