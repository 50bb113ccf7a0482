import { requireVisibleChannel, type Principal } from '../access/index.js';
import type { ChannelRecord, ChannelsStore } from './channels-store.js';

/**
 * One channel account, if the actor may view it (channel.view); otherwise not found: an
 * account they may not see, or one of another workspace, does not exist for them.
 */
export interface ViewChannelInput {
  actor: Principal;
  workspaceId: string;
  channelId: string;
}

export interface ViewChannelDeps {
  store: Pick<ChannelsStore, 'findChannel'>;
}

export async function viewChannel(
  deps: ViewChannelDeps,
  input: ViewChannelInput,
): Promise<ChannelRecord> {
  const { actor, workspaceId, channelId } = input;
  return requireVisibleChannel(actor, await deps.store.findChannel(workspaceId, channelId));
}
