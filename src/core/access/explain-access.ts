import { AppError } from '../errors.js';
import { check, checkPermission, type CheckContext, type Decision } from './check.js';
import { requireVisibleChat } from './decide.js';
import type { ChatAction } from './levels.js';
import type { AccessFactsSource } from './ports.js';
import { buildPrincipal, type Principal } from './principal.js';

export interface ExplainAccessInput {
  workspaceId: string;
  userId: string;
  chatId: string;
  action: ChatAction;
  context?: CheckContext;
  /**
   * Who asks, when a member asks (the API): anyone may ask about themselves, asking about
   * another member needs `users.manage`, and the asker must see the chat themselves — an
   * explanation never confirms that a chat hidden from them exists.
   */
  asker?: Principal;
}

/**
 * "Can U do A on chat C, and why?" (PRODUCT.md §3.7): the same `check` every route uses,
 * with its reasons. A user or chat outside the workspace is not found.
 */
export async function explainAccess(
  deps: { access: AccessFactsSource },
  input: ExplainAccessInput,
): Promise<Decision> {
  const { asker } = input;
  if (asker && asker.userId !== input.userId) {
    const may = checkPermission(asker, 'users.manage');
    if (!may.allowed) {
      throw new AppError(
        'forbidden',
        `explaining another user’s access needs users.manage: ${may.reasons.join('; ')}`,
      );
    }
  }
  const [facts, chats] = await Promise.all([
    deps.access.workspaceAccess(input.workspaceId),
    deps.access.chatFacts(input.workspaceId, [input.chatId]),
  ]);
  const principal = buildPrincipal(facts, input.userId);
  if (!principal) throw new AppError('not_found', 'no such member in this workspace');
  const chat = asker ? requireVisibleChat(asker, chats[0]) : chats[0];
  if (!chat) throw new AppError('not_found', 'no such chat in this workspace');
  return check(principal, input.action, chat, input.context);
}
