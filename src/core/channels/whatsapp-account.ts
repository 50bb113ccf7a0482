import { requireChannelAction, requireVisibleChannel, type Principal } from '../access/index.js';
import { AppError } from '../errors.js';
import type { ChannelRecord } from './channels-store.js';

/**
 * A WhatsApp account the actor may take `action` on: not found when they may not see it (or
 * it is of another workspace), a conflict when it is not a WhatsApp account, forbidden when
 * they see it but may not act on it.
 */
export function requireWhatsappAccount(
  actor: Principal,
  channel: ChannelRecord | undefined,
  action: 'channel.connect' | 'channel.edit',
): ChannelRecord {
  const account = requireVisibleChannel(actor, channel);
  if (account.type !== 'whatsapp') throw new AppError('conflict', 'not a WhatsApp account');
  requireChannelAction(actor, action, account);
  return account;
}
