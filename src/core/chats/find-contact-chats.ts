import {
  allows,
  type AccessFactsSource,
  type CheckContext,
  type Principal,
} from '../access/index.js';

/**
 * The chats of one contact that the actor may view, newest activity first: found by the
 * contact's phone (E.164) or email, or by a CRM record linked to contacts and chats; kept only
 * where `check` allows chat.view in `context` (a CRM panel adds the chats a CRM record grants,
 * PRODUCT.md §3.5; the Slack bot and the API look with no context). An unknown contact is an
 * empty list, never an error.
 */
export type ContactKey =
  | { phone: string }
  | { email: string }
  | { record: { integrationId: string; type: string; id: string } };

export interface ContactChatsSource {
  /** Chat ids of the contact, newest activity first, at most `limit`. */
  chatIdsOf(workspaceId: string, contact: ContactKey, limit: number): Promise<string[]>;
}

export interface FindContactChatsInput {
  actor: Principal;
  workspaceId: string;
  contacts: readonly ContactKey[];
  limit: number;
  context?: CheckContext;
}

/** How many of a contact's chats are looked at, at most, to find `limit` visible ones. */
const SCAN_LIMIT = 500;

export async function findContactChats(
  deps: { access: AccessFactsSource; chats: ContactChatsSource },
  input: FindContactChatsInput,
): Promise<string[]> {
  const { actor, workspaceId, contacts, limit, context } = input;
  const found = await Promise.all(
    contacts.map((c) => deps.chats.chatIdsOf(workspaceId, c, SCAN_LIMIT)),
  );
  const ids = [...new Set(found.flat())];
  if (ids.length === 0) return [];
  const facts = await deps.access.chatFacts(workspaceId, ids);
  const visible = new Set(
    facts.filter((chat) => allows(actor, 'chat.view', chat, context)).map((c) => c.id),
  );
  return ids.filter((id) => visible.has(id)).slice(0, limit);
}
