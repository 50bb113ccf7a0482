import { AppError } from '../errors.js';
import { audience } from './check.js';
import { requireVisibleChat } from './decide.js';
import type { ChatAction } from './levels.js';
import type { AccessFactsSource } from './ports.js';
import { buildPrincipals, type Principal } from './principal.js';

export interface ListAudienceInput {
  workspaceId: string;
  chatId: string;
  action: ChatAction;
  /** Who asks, when a member asks (the API): the chat must be visible to them, else not found. */
  asker?: Principal;
}

/**
 * "Who can see / answer chat C?" (PRODUCT.md §3.7), and who gets its events (§4): every
 * member for whom `check` allows the action — derived, never a second copy of the rule.
 */
export async function listAudience(
  deps: { access: AccessFactsSource },
  input: ListAudienceInput,
): Promise<Principal[]> {
  const [facts, chats] = await Promise.all([
    deps.access.workspaceAccess(input.workspaceId),
    deps.access.chatFacts(input.workspaceId, [input.chatId]),
  ]);
  const chat = input.asker ? requireVisibleChat(input.asker, chats[0]) : chats[0];
  if (!chat) throw new AppError('not_found', 'no such chat in this workspace');
  return audience(buildPrincipals(facts), input.action, chat);
}
