import { randomBytes } from 'node:crypto';
import {
  buildPrincipal,
  requirePermission,
  type AccessFactsSource,
  type Principal,
} from '../access/index.js';
import { AppError } from '../errors.js';
import { requireAllowedUrl, type OutboundPolicy } from '../outbound/outbound-policy.js';
import type { WebhookRecord, WebhooksStore } from './webhooks-store.js';

/** Event types a subscription may ask for; `*` is all of them. */
export const webhookEventTypes = [
  'chat.created',
  'message.created',
  'message.status_changed',
  'chat.assignee_changed',
  'chat.participant_added',
  'member.revoked',
] as const;

export type WebhookEventType = (typeof webhookEventTypes)[number];

/**
 * Subscribes a URL to events (integrations.manage). The subscription acts as the user who
 * created it — or, with `asUserId`, as that member of the workspace (a CRM sync limited to
 * what one sales person may see): it carries only events of chats that user may see, redacted
 * for them, and nothing while they are not an active member (`webhookPrincipal`). Naming
 * someone other than oneself also needs users.manage: it hands that member's view of the
 * chats to a URL. Without a secret one is made; the secret is returned here, once, and never
 * shown again. A URL whose host is a literal non-public address (or localhost) is refused
 * unless the outbound policy allows it (`requireAllowedUrl`).
 */
export interface SubscribeWebhookInput {
  actor: Principal;
  workspaceId: string;
  url: string;
  events: ReadonlyArray<WebhookEventType | '*'>;
  secret?: string;
  /** The member the subscription acts as; absent: the actor. */
  asUserId?: string;
}

export interface SubscribeWebhookDeps {
  store: WebhooksStore;
  /** The workspace's people, to decide whether `asUserId` is an active member. */
  access: Pick<AccessFactsSource, 'workspaceAccess'>;
  /** Where deliveries may go (the operator's allow list). */
  outboundPolicy: OutboundPolicy;
}

/**
 * May `actor` make a subscription acting as `asUserId`? integrations.manage always; for
 * someone else also users.manage, and they must be an active member of the workspace.
 */
async function requireSubscriber(
  deps: SubscribeWebhookDeps,
  actor: Principal,
  workspaceId: string,
  asUserId: string | undefined,
): Promise<void> {
  requirePermission(actor, 'integrations.manage');
  if (asUserId === undefined || asUserId === actor.userId) return;
  requirePermission(actor, 'users.manage');
  const named = buildPrincipal(await deps.access.workspaceAccess(workspaceId), asUserId);
  if (named?.status !== 'active') {
    throw new AppError('invalid_input', 'asUserId must be an active member of this workspace', {
      details: [{ path: 'body.asUserId', message: 'not an active member of this workspace' }],
    });
  }
}

export async function subscribeWebhook(
  deps: SubscribeWebhookDeps,
  input: SubscribeWebhookInput,
): Promise<WebhookRecord & { secret: string }> {
  const { actor, workspaceId } = input;
  await requireSubscriber(deps, actor, workspaceId, input.asUserId);
  requireAllowedUrl(deps.outboundPolicy, input.url, 'body.url');
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
  const asUserId = input.asUserId ?? null;
  const created = await deps.store.transaction(async (tx) => {
    const webhook = await tx.insertWebhook({
      workspaceId,
      url: input.url,
      events,
      secret,
      createdBy: actor.userId,
      asUserId,
    });
    await tx.audit({
      workspaceId,
      actorUserId: actor.userId,
      action: 'webhook.create',
      targetType: 'webhook',
      targetId: webhook.id,
      after: { url: webhook.url, events, asUserId },
    });
    return webhook;
  });
  return { ...created, secret };
}
