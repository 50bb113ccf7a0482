import { AppError } from '../errors.js';
import {
  buildPrincipal,
  isAssignable,
  type AccessFactsSource,
  type Principal,
} from '../access/index.js';
import type { EventPublisher } from '../events/events.js';
import { commitAccessChange } from '../commit-access-change.js';
import { lockTarget } from './lock-target.js';
import { assertMayActOnMember } from '../access/member-rules.js';
import type { PeopleStore } from './people-store.js';

/**
 * The request-time half of revoking a member (`POST …/members/:userId/revoke`): decides
 * whether the actor may, ends the member's access at once and records the `member.revoke`
 * job, all in one transaction; the job reaches the queue through the outbox after the
 * commit. The background half, which moves the member's chats and accounts, is
 * `revoke-member.ts`.
 *
 * Decided on locked rows (`lockTarget`): two Owners revoking each other at the same moment
 * cannot both succeed. A `reassignTo` who cannot be assigned chats (PRODUCT.md §3.2: not an
 * active member whose chat.view is at least `assigned`, or the member being revoked) is
 * refused here, before any job exists; such a member gets every chat that was the revoked
 * member's.
 */
export interface StartRevokeInput {
  actor: Principal;
  workspaceId: string;
  userId: string;
  /** Who gets the member's chats and accounts; absent: chats unassigned, accounts to HQ. */
  reassignTo?: string;
}

export interface StartRevokeDeps {
  store: PeopleStore;
  /** The workspace's people, to decide whether `reassignTo` can be assigned chats. */
  access: AccessFactsSource;
  events: EventPublisher;
  now(): Date;
}

/**
 * A revoked member's heir must be another member who can be assigned chats (PRODUCT.md §3.2):
 * an active member whose chat.view is at least `assigned`. `heir` is their principal (undefined:
 * not a member). Shared by the revoke and its preview (`planRevoke`).
 */
export function assertHeir(
  userId: string,
  reassignTo: string | undefined,
  heir: Principal | undefined,
): void {
  if (reassignTo !== undefined && (reassignTo === userId || !heir || !isAssignable(heir))) {
    throw new AppError(
      'invalid_input',
      'reassignTo must be another member who can be assigned chats',
      {
        details: [
          {
            path: 'body.reassignTo',
            message:
              'not an active member of this workspace whose chat.view is at least "assigned"',
          },
        ],
      },
    );
  }
}

export async function startRevoke(
  deps: StartRevokeDeps,
  input: StartRevokeInput,
): Promise<{ jobId: string }> {
  const { actor, workspaceId, userId, reassignTo } = input;
  const heir =
    reassignTo === undefined
      ? undefined
      : buildPrincipal(await deps.access.workspaceAccess(workspaceId), reassignTo);
  const revokedAt = deps.now();
  const jobId = await commitAccessChange(deps, workspaceId, async (tx) => {
    const { target, activeOwnerCount } = await lockTarget(tx, actor, workspaceId, userId);
    assertMayActOnMember(actor, {
      action: 'revoke',
      target: { userId, role: target.role, status: target.status },
      activeOwnerCount,
    });
    assertHeir(userId, reassignTo, heir);
    // Access ends now; the job moves chats and accounts afterwards.
    await tx.updateMember(workspaceId, userId, { status: 'revoked', revokedAt });
    const jobId = await tx.recordJob({
      workspaceId,
      type: 'member.revoke',
      input: { userId, reassignTo: reassignTo ?? null },
      createdBy: actor.userId,
    });
    return {
      result: jobId,
      audit: {
        workspaceId,
        actorUserId: actor.userId,
        action: 'member.revoke',
        targetType: 'member',
        targetId: userId,
        before: { status: target.status, role: target.role },
        after: { status: 'revoked', reassignTo: reassignTo ?? null, jobId },
      },
    };
  });
  // The notice webhooks carry to integrations (a CRM sync deactivates the user), published
  // after the commit through the event bus like `access.changed` and every chat event that
  // becomes a webhook: each process's dispatcher records one durable delivery per subscription
  // (unique per subscription and event; retried, dead-lettered, replayable). Not the outbox:
  // its topics are queue jobs the relay maps one by one, and no webhook event goes that way.
  await deps.events.publish({
    type: 'member.revoked',
    workspaceId,
    userId,
    reassignTo: reassignTo ?? null,
    jobId,
    revokedAt: revokedAt.toISOString(),
  });
  return { jobId };
}
