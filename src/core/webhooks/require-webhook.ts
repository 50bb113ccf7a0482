import { requirePermission, type Principal } from '../access/index.js';
import { AppError } from '../errors.js';
import type { WebhookRecord, WebhooksStore } from './webhooks-store.js';

/**
 * The first step of every action on one subscription: integrations.manage, then the
 * subscription itself — one of another workspace is not found.
 */
export async function requireWebhook(
  store: Pick<WebhooksStore, 'findWebhook'>,
  actor: Principal,
  workspaceId: string,
  webhookId: string,
): Promise<WebhookRecord> {
  requirePermission(actor, 'integrations.manage');
  const webhook = await store.findWebhook(workspaceId, webhookId);
  if (!webhook) throw new AppError('not_found', 'no such webhook');
  return webhook;
}
