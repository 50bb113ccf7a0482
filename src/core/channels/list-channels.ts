import { checkChannel, type Principal } from '../access/index.js';
import type { ChannelRecord, ChannelsStore } from './channels-store.js';

/** The workspace's channel accounts the actor may view (channel.view), oldest first. */
export interface ListChannelsInput {
  actor: Principal;
  workspaceId: string;
}

export interface ListChannelsDeps {
  store: Pick<ChannelsStore, 'listChannels'>;
}

export async function listChannels(
  deps: ListChannelsDeps,
  input: ListChannelsInput,
): Promise<ChannelRecord[]> {
  const channels = await deps.store.listChannels(input.workspaceId);
  return channels.filter((c) => checkChannel(input.actor, 'channel.view', c).allowed);
}
