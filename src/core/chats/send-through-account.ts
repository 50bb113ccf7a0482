import { AppError } from '../errors.js';
import { PermanentDeliveryError, type OutboundMessage } from './deliver-outbound.js';

/**
 * Sends one reply through an account that keeps a connection of its own (a WhatsApp number),
 * on the node that runs that account, and records the id the provider gave it, so the
 * provider's later delivery and read receipts find the message. A message no longer pending
 * is not sent again. Anything that may pass (the account is still connecting, WhatsApp did
 * not take it) is left to the queue's retries; a reply that can never go out through this
 * account fails for good.
 */
export interface SendThroughAccountDeps {
  /** The account this node runs. */
  channelId: string;
  load(messageId: string): Promise<OutboundMessage | undefined>;
  /** Sends the text to the provider's chat; resolves with the provider's message id. */
  send(externalChatId: string, text: string): Promise<string>;
  /** Marks the message sent under the provider's id (only while it is still pending). */
  markSent(messageId: string, providerMessageId: string): Promise<void>;
  markStatus(messageId: string, status: 'failed'): Promise<void>;
}

export type SendOutcome = 'sent' | 'already_sent' | 'gone';

export async function sendThroughAccount(
  deps: SendThroughAccountDeps,
  input: { messageId: string },
): Promise<SendOutcome> {
  const message = await deps.load(input.messageId);
  if (!message) return 'gone';
  if (message.status !== 'pending') return 'already_sent';
  if (message.channel.id !== deps.channelId) {
    await deps.markStatus(message.id, 'failed');
    throw new PermanentDeliveryError(
      'conflict',
      `message ${message.id} belongs to channel ${message.channel.id}, not ${deps.channelId}`,
    );
  }
  let providerMessageId: string;
  try {
    providerMessageId = await deps.send(message.externalChatId, message.text);
  } catch (error) {
    // A chat id or text the provider can never take will not pass on a retry either.
    if (error instanceof AppError && error.code === 'invalid_input') {
      await deps.markStatus(message.id, 'failed');
      throw new PermanentDeliveryError('invalid_input', error.message, { cause: error });
    }
    throw error;
  }
  await deps.markSent(message.id, providerMessageId);
  return 'sent';
}
