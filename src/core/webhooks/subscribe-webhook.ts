import { randomBytes } from 'node:crypto';
import { requirePermission, type Principal } from '../access/index.js';
import { AppError } from '../errors.js';
import type { WebhookRecord, WebhooksStore } from './webhooks-store.js';

/** Event types a subscription may ask for; `*` is all of them. */
export const webhookEventTypes = [
  'chat.created',
  'message.created',
  'chat.assignee_changed',
  'chat.participant_added',
] as const;

export type WebhookEventType = (typeof webhookEventTypes)[number];

/**
 * Subscribes a URL to events (integrations.manage). The subscription acts as the user who
 * created it: it carries only events of chats that user may see, redacted for them. Without a
 * secret one is made; the secret is returned here, once, and never shown again.
 */
export interface SubscribeWebhookInput {
  actor: Principal;
  workspaceId: string;
  url: string;
  events: ReadonlyArray<WebhookEventType | '*'>;
  secret?: string;
}

export interface SubscribeWebhookDeps {
  store: WebhooksStore;
}

export async function subscribeWebhook(
  deps: SubscribeWebhookDeps,
  input: SubscribeWebhookInput,
): Promise<WebhookRecord & { secret: string }> {
  const { actor, workspaceId } = input;
  requirePermission(actor, 'integrations.manage');
  const unknown = input.events.filter(
    (e) => e !== '*' && !(webhookEventTypes as readonly string[]).includes(e),
  );
  if (input.events.length === 0 || unknown.length > 0) {
    throw new AppError('invalid_input', 'a subscription needs known event types', {
      details: [{ path: 'body.events', message: `unknown: ${unknown.join(', ') || '(none)'}` }],
    });
  }
  const secret = input.secret ?? randomBytes(32).toString('hex');
  const events = input.events.includes('*') ? ['*'] : [...new Set(input.events)];
  const created = await deps.store.transaction(async (tx) => {
    const webhook = await tx.insertWebhook({
      workspaceId,
      url: input.url,
      events,
      secret,
      createdBy: actor.userId,
    });
    await tx.audit({
      workspaceId,
      actorUserId: actor.userId,
      action: 'webhook.create',
      targetType: 'webhook',
      targetId: webhook.id,
      after: { url: webhook.url, events },
    });
    return webhook;
  });
  return { ...created, secret };
}
