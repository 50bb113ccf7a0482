import { AppError } from '../errors.js';
import { OutboundRefused } from '../outbound/outbound-policy.js';

/**
 * Delivers one reply to its channel: for a webhook channel, a signed POST to the channel's
 * outbound URL; for a channel that sends through a connection of its own (a WhatsApp
 * account, which runs on one node at a time), a hand-over to whoever runs that account
 * (`handOff`, see `send-through-account.ts`). Safe to run twice: a message already sent is not
 * sent again. A refusal the provider will repeat (4xx, an account logged out) fails for good;
 * anything else is retried by the queue. An outbound URL the outbound policy refuses (a
 * non-public address, `OutboundRefused`) fails for good at once, the reason in the error.
 */
export interface OutboundMessage {
  id: string;
  status: 'pending' | 'sent' | 'delivered' | 'read' | 'failed' | 'received';
  text: string;
  sentAt: Date;
  externalChatId: string;
  chatId: string;
  author: { id: string; name: string } | null;
  channel: {
    id: string;
    type: 'webhook' | 'whatsapp';
    outboundUrl: string | null;
    secret: string | null;
  };
}

export interface DeliverOutboundDeps {
  load(messageId: string): Promise<OutboundMessage | undefined>;
  markStatus(messageId: string, status: 'sent' | 'failed'): Promise<void>;
  /** POSTs a signed JSON body; resolves with the HTTP status, rejects with `OutboundRefused`. */
  postSigned(url: string, secret: string, body: string): Promise<number>;
  /**
   * Queues a WhatsApp reply for the node that runs its account; `account_stopped` when the
   * account is logged out or disabled (nobody will send it). Absent: WhatsApp cannot reply.
   */
  handOff?(message: OutboundMessage): Promise<'queued' | 'account_stopped'>;
}

export type DeliveryOutcome = 'sent' | 'handed_off' | 'already_sent' | 'gone';

export class PermanentDeliveryError extends AppError {}

export async function deliverOutbound(
  deps: DeliverOutboundDeps,
  input: { messageId: string },
): Promise<DeliveryOutcome> {
  const message = await deps.load(input.messageId);
  if (!message) return 'gone';
  if (message.status !== 'pending') return 'already_sent';
  const { channel } = message;
  if (channel.type === 'whatsapp' && deps.handOff) {
    if ((await deps.handOff(message)) === 'queued') return 'handed_off';
    await deps.markStatus(message.id, 'failed');
    throw new PermanentDeliveryError('conflict', `channel ${channel.id} is logged out or disabled`);
  }
  if (channel.type !== 'webhook' || !channel.outboundUrl || !channel.secret) {
    await deps.markStatus(message.id, 'failed');
    throw new PermanentDeliveryError('conflict', `channel ${channel.id} cannot deliver replies`);
  }
  const body = JSON.stringify({
    messageId: message.id,
    chatId: message.externalChatId,
    text: message.text,
    sentAt: message.sentAt.toISOString(),
    author: message.author,
  });
  let status: number;
  try {
    status = await deps.postSigned(channel.outboundUrl, channel.secret, body);
  } catch (error) {
    if (!(error instanceof OutboundRefused)) throw error;
    await deps.markStatus(message.id, 'failed');
    throw new PermanentDeliveryError('conflict', error.reason, { cause: error });
  }
  if (status >= 200 && status < 300) {
    await deps.markStatus(message.id, 'sent');
    return 'sent';
  }
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
    await deps.markStatus(message.id, 'failed');
    throw new PermanentDeliveryError('conflict', `the channel refused the reply (HTTP ${status})`);
  }
  throw new AppError('unavailable', `the channel answered HTTP ${status}; will retry`);
}
