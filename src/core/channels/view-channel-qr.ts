import { requireChannelAction, requireVisibleChannel, type Principal } from '../access/index.js';
import { AppError } from '../errors.js';
import type { ChannelStatus, ChannelsStore } from './channels-store.js';

/**
 * A WhatsApp account's status and, while it waits to be linked (`qr_pending`), the QR code to
 * scan with the phone; why it is down (`detail`: `disconnected`, `logged_out`) when the node
 * running it said: for those who may connect the account (channel.connect), since scanning
 * links a phone to it (and the reason is theirs to act on: reconnect). Not found for an account the actor may not see; a conflict for a
 * webhook channel, which has no QR code.
 */
export interface ViewChannelQrInput {
  actor: Principal;
  workspaceId: string;
  channelId: string;
}

export interface ViewChannelQrDeps {
  store: Pick<ChannelsStore, 'findChannel'>;
}

export async function viewChannelQr(
  deps: ViewChannelQrDeps,
  input: ViewChannelQrInput,
): Promise<{ status: ChannelStatus; qr?: string; detail?: string }> {
  const { actor, workspaceId, channelId } = input;
  const channel = requireVisibleChannel(
    actor,
    await deps.store.findChannel(workspaceId, channelId),
  );
  if (channel.type !== 'whatsapp')
    throw new AppError('conflict', 'only a WhatsApp account has a QR code');
  requireChannelAction(actor, 'channel.connect', channel);
  return {
    status: channel.status,
    ...(channel.status === 'qr_pending' && channel.qr ? { qr: channel.qr } : {}),
    ...(channel.statusDetail === null ? {} : { detail: channel.statusDetail }),
  };
}
