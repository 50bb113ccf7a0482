import type { Principal } from '../access/index.js';
import type { EventPublisher } from '../events/events.js';
import { commitAccessChange } from '../commit-access-change.js';
import { lockTarget } from './lock-target.js';
import { assertMayActOnMember } from '../access/member-rules.js';
import type { PeopleStore } from './people-store.js';

/**
 * Suspends a member (no access at all, at once; data and assignments kept) or reinstates a
 * suspended one (PRODUCT.md §2). Decided on locked rows (`lockTarget`), so the last active
 * Owner stays active however many admins act at once. Audited in the same transaction;
 * `access.changed` after it, which ends the member's event streams and tokens' use.
 */
export interface ChangeMemberStatusInput {
  actor: Principal;
  workspaceId: string;
  userId: string;
  action: 'suspend' | 'reinstate';
}

export interface ChangeMemberStatusDeps {
  store: PeopleStore;
  events: EventPublisher;
  now(): Date;
}

export async function changeMemberStatus(
  deps: ChangeMemberStatusDeps,
  input: ChangeMemberStatusInput,
): Promise<void> {
  const { actor, workspaceId, userId, action } = input;
  const status = action === 'suspend' ? ('suspended' as const) : ('active' as const);
  await commitAccessChange(deps, workspaceId, async (tx) => {
    const { target, activeOwnerCount } = await lockTarget(tx, actor, workspaceId, userId);
    assertMayActOnMember(actor, {
      action,
      target: { userId, role: target.role, status: target.status },
      activeOwnerCount,
    });
    await tx.updateMember(workspaceId, userId, {
      status,
      suspendedAt: action === 'suspend' ? deps.now() : null,
    });
    return {
      result: undefined,
      audit: {
        workspaceId,
        actorUserId: actor.userId,
        action: `member.${action}`,
        targetType: 'member',
        targetId: userId,
        before: { status: target.status },
        after: { status },
      },
    };
  });
}
