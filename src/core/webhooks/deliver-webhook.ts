import { AppError } from '../errors.js';
import { OutboundRefused } from '../outbound/outbound-policy.js';

/**
 * One delivery of one event to one subscription: a signed POST. Deliveries of a chat go out
 * in order: while an earlier one for the same chat is still being retried, a later one waits.
 * Safe to run twice: a delivered one is not sent again. A destination the outbound policy
 * refuses (a non-public address, `OutboundRefused`) will be refused on every try: the delivery
 * is dead at once, the reason in its `lastError`.
 */
export interface WebhookDelivery {
  id: string;
  webhookId: string;
  chatId: string | null;
  status: 'pending' | 'succeeded' | 'failed' | 'dead';
  url: string;
  secret: string;
  body: string;
}

export interface DeliverWebhookDeps {
  load(deliveryId: string): Promise<WebhookDelivery | undefined>;
  /** Is an earlier delivery of the same subscription and chat not yet settled? */
  earlierUnsettled(delivery: WebhookDelivery): Promise<boolean>;
  recordAttempt(
    deliveryId: string,
    outcome: {
      status: 'succeeded' | 'failed' | 'dead';
      httpStatus: number | null;
      error: string | null;
    },
  ): Promise<void>;
  /** Resolves with the HTTP status (599: no answer); rejects with `OutboundRefused`. */
  postSigned(url: string, secret: string, body: string): Promise<number>;
}

export async function deliverWebhook(
  deps: DeliverWebhookDeps,
  input: { deliveryId: string },
): Promise<'sent' | 'skipped'> {
  const delivery = await deps.load(input.deliveryId);
  if (!delivery || delivery.status === 'succeeded' || delivery.status === 'dead') return 'skipped';
  if (delivery.chatId && (await deps.earlierUnsettled(delivery))) {
    throw new AppError('unavailable', 'an earlier event of this chat is not delivered yet');
  }
  let status: number;
  try {
    status = await deps.postSigned(delivery.url, delivery.secret, delivery.body);
  } catch (error) {
    if (error instanceof OutboundRefused) {
      await deps.recordAttempt(delivery.id, {
        status: 'dead',
        httpStatus: null,
        error: error.reason,
      });
    }
    throw error;
  }
  if (status >= 200 && status < 300) {
    await deps.recordAttempt(delivery.id, { status: 'succeeded', httpStatus: status, error: null });
    return 'sent';
  }
  await deps.recordAttempt(delivery.id, {
    status: 'failed',
    httpStatus: status === 599 ? null : status,
    error: status === 599 ? 'no answer' : `HTTP ${status}`,
  });
  throw new AppError(
    'unavailable',
    `the receiver answered ${status === 599 ? 'nothing' : `HTTP ${status}`}`,
  );
}
