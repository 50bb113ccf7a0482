import { AppError } from '../errors.js';
import { check, type CheckContext, type Decision } from './check.js';
import type { ChatAction } from './levels.js';
import type { AccessFactsSource } from './ports.js';
import { buildPrincipal } from './principal.js';

export interface ExplainAccessInput {
  workspaceId: string;
  userId: string;
  chatId: string;
  action: ChatAction;
  context?: CheckContext;
}

/**
 * "Can U do A on chat C, and why?" (PRODUCT.md §3.7): the same `check` every route uses,
 * with its reasons. A user or chat outside the workspace is not found.
 */
export async function explainAccess(
  deps: { access: AccessFactsSource },
  input: ExplainAccessInput,
): Promise<Decision> {
  const [facts, chats] = await Promise.all([
    deps.access.workspaceAccess(input.workspaceId),
    deps.access.chatFacts(input.workspaceId, [input.chatId]),
  ]);
  const principal = buildPrincipal(facts, input.userId);
  if (!principal) throw new AppError('not_found', 'no such member in this workspace');
  const chat = chats[0];
  if (!chat) throw new AppError('not_found', 'no such chat in this workspace');
  return check(principal, input.action, chat, input.context);
}
