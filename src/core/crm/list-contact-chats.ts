import { allows, type AccessFactsSource, type Principal } from '../access/index.js';
import { panelContext } from './panel-member.js';

/**
 * The chats of one contact that a member may see in a CRM panel, newest activity first
 * (shared/API.md `chats-for-contact`): found by the contact's phone (E.164) or email, or by a
 * CRM record linked to contacts and chats; kept only where `check` allows chat.view as a CRM
 * panel — the member's own scope, plus chats a CRM record grants them (PRODUCT.md §3.5). An
 * unknown contact is an empty list, never an error: the panel shows "no conversations".
 */
export type ContactKey =
  | { phone: string }
  | { email: string }
  | { record: { integrationId: string; type: string; id: string } };

export interface ContactChatsSource {
  /** Chat ids of the contact, newest activity first, at most `limit`. */
  chatIdsOf(workspaceId: string, contact: ContactKey, limit: number): Promise<string[]>;
}

export interface ListContactChatsInput {
  actor: Principal;
  workspaceId: string;
  contacts: readonly ContactKey[];
  limit: number;
}

/** How many of a contact's chats are looked at, at most, to find `limit` visible ones. */
const SCAN_LIMIT = 500;

export async function listContactChats(
  deps: { access: AccessFactsSource; chats: ContactChatsSource },
  input: ListContactChatsInput,
): Promise<string[]> {
  const { actor, workspaceId, contacts, limit } = input;
  const found = await Promise.all(
    contacts.map((c) => deps.chats.chatIdsOf(workspaceId, c, SCAN_LIMIT)),
  );
  const ids = [...new Set(found.flat())];
  if (ids.length === 0) return [];
  const facts = await deps.access.chatFacts(workspaceId, ids);
  const visible = new Set(
    facts.filter((chat) => allows(actor, 'chat.view', chat, panelContext)).map((c) => c.id),
  );
  return ids.filter((id) => visible.has(id)).slice(0, limit);
}
