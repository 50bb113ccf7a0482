import {
  requireChatAction,
  requireVisibleChat,
  type AccessFactsSource,
  type OwnerRef,
  type Principal,
} from '../access/index.js';
import { AppError } from '../errors.js';
import type { EventPublisher } from '../events/events.js';
import { newId } from '../ids.js';
import { previewOf } from './inbound-message.js';

/**
 * Replying to a chat (PRODUCT.md §3.3), the request-time half; `deliver-outbound.ts` is the
 * background half that sends it. The reply rule is the access engine's (`check` on
 * `chat.reply`, through the account chosen); the reply, the chat's new last message and, when
 * the channel has somewhere to deliver it, its delivery (an outbox entry the relay turns into a
 * queued job) are written in one transaction, so a stored reply is never left undelivered.
 */
export interface ReplyToChatInput {
  /** Who replies: the acting member, already authenticated. */
  principal: Principal;
  chatId: string;
  text: string;
  /** The account to send through; default: the chat's own. */
  channelId?: string;
}

/** An account a reply may go out through: its owner (for the reply rule) and how it delivers. */
export interface ReplyChannel {
  id: string;
  workspaceId: string;
  owner: OwnerRef;
  type: 'webhook' | 'whatsapp';
  /** A webhook channel without one takes replies that integrations pick up from events. */
  hasOutboundUrl: boolean;
}

export type ReplyStatus = 'pending' | 'sent';

export interface NewReply {
  id: string;
  workspaceId: string;
  chatId: string;
  channelId: string;
  text: string;
  preview: string;
  authorUserId: string;
  sentAt: Date;
  status: ReplyStatus;
}

/** A stored reply as callers present it. */
export interface StoredReply {
  id: string;
  chatId: string;
  channelId: string;
  text: string;
  authorUserId: string;
  sentAt: Date;
  status: ReplyStatus;
}

/**
 * Where replies are stored. Writes take the transaction `transaction` opened (`Tx`), so the
 * message, the chat's last message and the delivery commit together or not at all.
 */
export interface ReplyStore<Tx> {
  /** A channel account of the workspace; undefined: none (or another workspace's). */
  channel(workspaceId: string, channelId: string): Promise<ReplyChannel | undefined>;
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  insertReply(tx: Tx, reply: NewReply): Promise<StoredReply>;
  /** The chat moves up: its last message time (never backwards) and preview. Locks the chat's row. */
  touchChat(tx: Tx, reply: NewReply): Promise<void>;
  /** Records that the reply is to be delivered; queued once the transaction commits. */
  queueDelivery(tx: Tx, reply: NewReply): Promise<void>;
}

export interface ReplyToChatDeps<Tx> {
  access: AccessFactsSource;
  store: ReplyStore<Tx>;
  events: EventPublisher;
  now(): Date;
  /**
   * Queues the delivery at once, after the commit, instead of at the outbox relay's next
   * pass: only faster. A failure here changes nothing; the outbox entry still delivers it.
   */
  deliverSoon?(messageId: string): Promise<void>;
}

export async function replyToChat<Tx>(
  deps: ReplyToChatDeps<Tx>,
  input: ReplyToChatInput,
): Promise<StoredReply> {
  const { principal } = input;
  const workspaceId = principal.workspaceId;
  const [found] = await deps.access.chatFacts(workspaceId, [input.chatId]);
  const chat = requireVisibleChat(principal, found);
  const channel = await deps.store.channel(workspaceId, input.channelId ?? chat.channelId);
  if (!channel) throw new AppError('not_found', 'no such channel account');
  requireChatAction(principal, 'chat.reply', chat, { via: channel });

  // A channel that has nowhere to send replies to publishes them: the events below are how
  // they go out (an integration reads them from the event stream or a webhook subscription).
  const deliver = channel.type === 'whatsapp' || channel.hasOutboundUrl;
  const reply: NewReply = {
    id: newId('msg'),
    workspaceId,
    chatId: chat.id,
    channelId: channel.id,
    text: input.text,
    preview: previewOf(input.text),
    authorUserId: principal.userId,
    sentAt: deps.now(),
    status: deliver ? 'pending' : 'sent',
  };
  const stored = await deps.store.transaction(async (tx) => {
    const row = await deps.store.insertReply(tx, reply);
    await deps.store.touchChat(tx, reply);
    if (deliver) await deps.store.queueDelivery(tx, reply);
    return row;
  });
  if (deliver && deps.deliverSoon) {
    // Best effort: the outbox relay queues it anyway (the same job id, so never twice).
    await deps.deliverSoon(stored.id).catch(() => undefined);
  }
  await deps.events.publish({
    type: 'message.created',
    workspaceId,
    chatId: chat.id,
    messageId: stored.id,
  });
  return stored;
}
