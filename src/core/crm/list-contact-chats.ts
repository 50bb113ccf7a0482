import type { AccessFactsSource, Principal } from '../access/index.js';
import {
  findContactChats,
  type ContactChatsSource,
  type ContactKey,
} from '../chats/find-contact-chats.js';
import { panelContext } from './panel-member.js';
import { newestFirst, type ChatReads } from '../chats/chat-reads.js';
import type { ChatSummary } from '../chats/chat-summary.js';

export type { ContactChatsSource, ContactKey } from '../chats/find-contact-chats.js';

/**
 * The chats of one contact that a member may see in a CRM panel, newest activity first
 * (shared/API.md `chats-for-contact`): `findContactChats` as a CRM panel looks, so the member's
 * own scope plus the chats a CRM record grants them (PRODUCT.md §3.5). An unknown contact is an
 * empty list: the panel shows "no conversations".
 */
export interface ListContactChatsInput {
  actor: Principal;
  workspaceId: string;
  contacts: readonly ContactKey[];
  limit: number;
}

export async function listContactChats(
  deps: {
    access: AccessFactsSource;
    chats: ContactChatsSource;
    reads: Pick<ChatReads, 'summaries'>;
  },
  input: ListContactChatsInput,
): Promise<ChatSummary[]> {
  const ids = await findContactChats(deps, { ...input, context: panelContext });
  const chats = await deps.reads.summaries(input.workspaceId, ids);
  return chats.sort(newestFirst);
}
