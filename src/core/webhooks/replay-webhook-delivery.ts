import type { Principal } from '../access/index.js';
import { AppError } from '../errors.js';
import { requireWebhook } from './require-webhook.js';
import type { DeliveryReplayer, WebhooksStore } from './webhooks-store.js';

/**
 * Sends a dead (or failed) delivery of a subscription again (integrations.manage). A
 * delivery that is pending or delivered, or that the subscription does not have, is a
 * conflict: only a dead or failed one can be replayed.
 */
export interface ReplayWebhookDeliveryInput {
  actor: Principal;
  workspaceId: string;
  webhookId: string;
  deliveryId: string;
}

export interface ReplayWebhookDeliveryDeps {
  store: WebhooksStore;
  deliveries: DeliveryReplayer;
}

export async function replayWebhookDelivery(
  deps: ReplayWebhookDeliveryDeps,
  input: ReplayWebhookDeliveryInput,
): Promise<void> {
  const { actor, workspaceId, webhookId, deliveryId } = input;
  await requireWebhook(deps.store, actor, workspaceId, webhookId);
  const replayed = await deps.deliveries.replay(workspaceId, webhookId, deliveryId);
  if (!replayed) throw new AppError('conflict', 'only a dead or failed delivery can be replayed');
}
