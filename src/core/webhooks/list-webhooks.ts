import { requirePermission, type Principal } from '../access/index.js';
import type { WebhookRecord, WebhooksStore } from './webhooks-store.js';

/** The workspace's webhook subscriptions, newest first (integrations.manage); no secrets. */
export interface ListWebhooksInput {
  actor: Principal;
  workspaceId: string;
}

export interface ListWebhooksDeps {
  store: WebhooksStore;
}

export async function listWebhooks(
  deps: ListWebhooksDeps,
  input: ListWebhooksInput,
): Promise<WebhookRecord[]> {
  requirePermission(input.actor, 'integrations.manage');
  return deps.store.listWebhooks(input.workspaceId);
}
