import type { Principal } from '../access/index.js';
import type { EventPublisher } from '../events/events.js';
import { commitAccessChange } from '../commit-access-change.js';
import type { ChannelRecord, ChannelsStore, WhatsappAccounts } from './channels-store.js';
import { requireWhatsappAccount } from './whatsapp-account.js';

/**
 * Disables a WhatsApp account: it is stopped wherever it runs (at once on this node, within a
 * reconcile elsewhere) and takes no more messages; its session is kept, so reconnecting
 * starts it again. Needs channel.edit over the account (`requireWhatsappAccount`: not found,
 * conflict for a webhook channel, forbidden). Disabling a disabled account changes nothing.
 * Committed as an access change (`access.changed` after the commit): what the account may
 * still be used for changes for everyone at once.
 */
export interface DisableChannelInput {
  actor: Principal;
  workspaceId: string;
  channelId: string;
}

export interface DisableChannelDeps {
  store: ChannelsStore;
  events: EventPublisher;
  whatsapp?: WhatsappAccounts | undefined;
  now(): Date;
}

export async function disableChannel(
  deps: DisableChannelDeps,
  input: DisableChannelInput,
): Promise<ChannelRecord> {
  const { actor, workspaceId, channelId } = input;
  const seen = requireWhatsappAccount(
    actor,
    await deps.store.findChannel(workspaceId, channelId),
    'channel.edit',
  );
  if (seen.status === 'disabled') return seen;
  const disabled = await commitAccessChange(deps, workspaceId, async (tx) => {
    const account = requireWhatsappAccount(
      actor,
      await tx.lockChannel(workspaceId, channelId),
      'channel.edit',
    );
    const stored = await tx.setStatus(workspaceId, channelId, 'disabled', deps.now());
    return {
      result: stored,
      audit: {
        workspaceId,
        actorUserId: actor.userId,
        action: 'channel.disable' as const,
        targetType: 'channel' as const,
        targetId: channelId,
        before: { status: account.status },
        after: { status: 'disabled' },
      },
    };
  });
  deps.whatsapp?.accountChanged(channelId);
  return disabled;
}
