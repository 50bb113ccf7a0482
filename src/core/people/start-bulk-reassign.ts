import { AppError } from '../errors.js';
import {
  buildPrincipal,
  isAssignable,
  type AccessFactsSource,
  type Principal,
} from '../access/index.js';
import { lockTarget } from './lock-target.js';
import { assertMayReassignChatsOf } from '../access/member-rules.js';
import type { PeopleStore } from './people-store.js';

/**
 * The request-time half of moving a suspended member's chats in bulk
 * (`POST …/members/:userId/reassign`): decides whether the actor may and records the
 * `member.reassign` job with its audit entry in one transaction; the job reaches the queue
 * through the outbox after the commit. The background half is `runReassignJob`
 * (`reassign-chats.ts`), the same walk a revoke uses: every chat still assigned to the member
 * goes to `to`, or becomes unassigned without one. A `to` who cannot be assigned chats
 * (PRODUCT.md §3.2) is refused here, before any job exists.
 */
export interface StartBulkReassignInput {
  actor: Principal;
  workspaceId: string;
  /** The suspended member whose chats move. */
  userId: string;
  /** Who gets them; absent: they become unassigned (HQ's queue). */
  to?: string;
}

export interface StartBulkReassignDeps {
  store: PeopleStore;
  /** The workspace's people, to decide whether `to` can be assigned chats. */
  access: AccessFactsSource;
}

export async function startBulkReassign(
  deps: StartBulkReassignDeps,
  input: StartBulkReassignInput,
): Promise<{ jobId: string }> {
  const { actor, workspaceId, userId, to } = input;
  const heir =
    to === undefined
      ? undefined
      : buildPrincipal(await deps.access.workspaceAccess(workspaceId), to);
  const jobId = await deps.store.transaction(async (tx) => {
    const { target } = await lockTarget(tx, actor, workspaceId, userId);
    assertMayReassignChatsOf(actor, { userId, role: target.role, status: target.status });
    if (to !== undefined && (!heir || !isAssignable(heir))) {
      throw new AppError('invalid_input', 'to must be a member who can be assigned chats', {
        details: [
          {
            path: 'body.to',
            message:
              'not an active member of this workspace whose chat.view is at least "assigned"',
          },
        ],
      });
    }
    const jobId = await tx.recordJob({
      workspaceId,
      type: 'member.reassign',
      input: { fromUserId: userId, toUserId: to ?? null },
      createdBy: actor.userId,
    });
    await tx.audit({
      workspaceId,
      actorUserId: actor.userId,
      action: 'member.reassign_chats',
      targetType: 'member',
      targetId: userId,
      after: { to: to ?? null, jobId },
    });
    return jobId;
  });
  return { jobId };
}
