/**
 * The store ports of the webhook subscription actions (subscribe, list, deliveries, replay).
 * Every read is scoped by workspace: a subscription of another workspace does not exist for
 * the caller. A subscription and its audit entry are written in one transaction (`WebhooksTx`).
 */
export interface WebhooksStore {
  /** Runs `work` in one transaction: everything it wrote commits together, or nothing does. */
  transaction<T>(work: (tx: WebhooksTx) => Promise<T>): Promise<T>;
  /** The workspace's subscriptions, newest first. */
  listWebhooks(workspaceId: string): Promise<WebhookRecord[]>;
  /** Undefined: not a subscription of the workspace. */
  findWebhook(workspaceId: string, webhookId: string): Promise<WebhookRecord | undefined>;
  /**
   * One page of a subscription's deliveries, newest first: `limit` of them after `cursor`
   * (the last id of the previous page), and the cursor of the next page (null: no more).
   */
  listDeliveries(
    workspaceId: string,
    webhookId: string,
    page: { limit: number; cursor: string | null },
  ): Promise<{ items: WebhookDeliveryRecord[]; nextCursor: string | null }>;
}

export interface WebhookRecord {
  id: string;
  url: string;
  events: string[];
  status: 'active' | 'disabled';
  createdBy: string | null;
  /**
   * The member the subscription acts as — whose view of chats and masking it carries —
   * instead of its creator; null: its creator (`webhookPrincipal` in core/access).
   */
  asUserId: string | null;
  createdAt: Date;
}

export interface WebhookDeliveryRecord {
  id: string;
  eventId: string;
  eventType: string;
  chatId: string | null;
  status: 'pending' | 'succeeded' | 'failed' | 'dead';
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

/** One audit entry (who, what, after), written in the action's transaction. */
export interface WebhooksAuditEntry {
  workspaceId: string;
  actorUserId: string;
  action: 'webhook.create';
  targetType: 'webhook';
  targetId: string;
  after: unknown;
}

/** The transaction-scoped half of `WebhooksStore`. */
export interface WebhooksTx {
  insertWebhook(webhook: {
    workspaceId: string;
    url: string;
    events: string[];
    secret: string;
    createdBy: string;
    asUserId: string | null;
  }): Promise<WebhookRecord>;
  audit(entry: WebhooksAuditEntry): Promise<void>;
}

/**
 * Puts a dead or failed delivery back in line (its row back to pending, and a queue job);
 * false when the subscription has no such delivery or it is not dead or failed.
 */
export interface DeliveryReplayer {
  replay(workspaceId: string, webhookId: string, deliveryId: string): Promise<boolean>;
}
