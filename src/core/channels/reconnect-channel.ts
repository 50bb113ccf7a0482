import type { Principal } from '../access/index.js';
import { AppError } from '../errors.js';
import type { ChannelRecord, ChannelsStore, WhatsappAccounts } from './channels-store.js';
import { requireWhatsappAccount } from './whatsapp-account.js';

/**
 * Starts a disabled, logged-out or disconnected WhatsApp account again: it goes back to
 * `qr_pending` and whichever node takes its lease starts it. After a logout WhatsApp has
 * forgotten the session, so it is dropped here too and linking needs a new QR scan. Needs
 * channel.connect over the account (`requireWhatsappAccount`); one connected or already
 * waiting for its QR code is a conflict. Decided on the account's locked row.
 */
export interface ReconnectChannelInput {
  actor: Principal;
  workspaceId: string;
  channelId: string;
}

export interface ReconnectChannelDeps {
  store: ChannelsStore;
  whatsapp?: WhatsappAccounts | undefined;
  now(): Date;
}

export async function reconnectChannel(
  deps: ReconnectChannelDeps,
  input: ReconnectChannelInput,
): Promise<ChannelRecord> {
  const { actor, workspaceId, channelId } = input;
  const reconnected = await deps.store.transaction(async (tx) => {
    const account = requireWhatsappAccount(
      actor,
      await tx.lockChannel(workspaceId, channelId),
      'channel.connect',
    );
    if (account.status === 'connected' || account.status === 'qr_pending')
      throw new AppError('conflict', `the account is ${account.status} already`);
    if (account.status === 'logged_out') await tx.forgetSession(workspaceId, channelId);
    const stored = await tx.setStatus(workspaceId, channelId, 'qr_pending', deps.now());
    await tx.audit({
      workspaceId,
      actorUserId: actor.userId,
      action: 'channel.reconnect',
      targetType: 'channel',
      targetId: channelId,
      before: { status: account.status },
      after: { status: 'qr_pending' },
    });
    return stored;
  });
  deps.whatsapp?.accountChanged(channelId);
  return reconnected;
}
