import {
  assigneeRefusal,
  requireChatAction,
  requireVisibleChat,
  type AccessFactsSource,
  type AssigneeRef,
  type MembershipStatus,
  type Principal,
} from '../access/index.js';
import { AppError } from '../errors.js';
import type { EventPublisher } from '../events/events.js';
import type { ChatSummary } from './chat-summary.js';

/**
 * Assigning a chat to a member or a team, or unassigning it (PRODUCT.md §3.2): only someone
 * allowed `chat.assign` on the chat assigns it (`check`), and only to an assignee the access
 * policy accepts (`assigneeRefusal`: an active member who can see assigned chats, or an active
 * team — the same "active" routing uses). The change and its audit entry are one transaction.
 */
export interface AssignChatInput {
  /** Who assigns: the acting member, already authenticated. */
  principal: Principal;
  chatId: string;
  /** Null: unassigned (HQ's queue). */
  target: AssigneeRef;
}

export interface AssignmentAudit {
  workspaceId: string;
  actorUserId: string;
  chatId: string;
  before: AssigneeRef;
  after: AssigneeRef;
}

/**
 * Where assignments are kept. Functions that lock rows take the transaction `transaction`
 * opened (`Tx`); the locks hold until it commits.
 */
export interface AssignmentStore<Tx> {
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * The member's status, locked (shared) until commit: a revoke or suspension committing
   * meanwhile waits, or is seen. Undefined: not a member.
   */
  lockMemberStatus(
    tx: Tx,
    workspaceId: string,
    userId: string,
  ): Promise<MembershipStatus | undefined>;
  /** The chat's assignee, locked for update until commit. */
  lockAssignee(tx: Tx, chatId: string): Promise<AssigneeRef>;
  setAssignee(tx: Tx, chatId: string, target: AssigneeRef): Promise<void>;
  audit(tx: Tx, entry: AssignmentAudit): Promise<void>;
  /** The chat as it is now (read after the commit). */
  summary(workspaceId: string, chatId: string): Promise<ChatSummary>;
}

export interface AssignChatDeps<Tx> {
  access: AccessFactsSource;
  store: AssignmentStore<Tx>;
  events: EventPublisher;
}

const refused = (message: string, detail: string) =>
  new AppError('invalid_input', message, { details: [{ path: 'body.id', message: detail }] });

export async function assignChat<Tx>(
  deps: AssignChatDeps<Tx>,
  input: AssignChatInput,
): Promise<ChatSummary> {
  const { principal, target } = input;
  const workspaceId = principal.workspaceId;
  const [found] = await deps.access.chatFacts(workspaceId, [input.chatId]);
  const chat = requireVisibleChat(principal, found);
  requireChatAction(principal, 'chat.assign', chat);
  const refusal = assigneeRefusal(await deps.access.workspaceAccess(workspaceId), target);
  if (refusal) throw refused(refusal.message, refusal.detail);

  await deps.store.transaction(async (tx) => {
    if (target?.type === 'user') {
      // Re-checked under a row lock: a revoke committing meanwhile cannot be overtaken.
      const status = await deps.store.lockMemberStatus(tx, workspaceId, target.userId);
      if (status !== 'active')
        throw refused('the assignee must be an active member', 'not an active member');
    }
    const before = await deps.store.lockAssignee(tx, chat.id);
    await deps.store.setAssignee(tx, chat.id, target);
    await deps.store.audit(tx, {
      workspaceId,
      actorUserId: principal.userId,
      chatId: chat.id,
      before,
      after: target,
    });
  });
  await deps.events.publish({ type: 'chat.assignee_changed', workspaceId, chatId: chat.id });
  return deps.store.summary(workspaceId, chat.id);
}
