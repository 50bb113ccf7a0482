import { AppError, issueDetails } from '../errors.js';
import {
  restrictionsSchema,
  type Principal,
  type RestrictionKey,
  type Restrictions,
} from '../access/index.js';
import type { EventPublisher } from '../events/events.js';
import { commitAccessChange } from '../commit-access-change.js';
import { lockTarget } from './lock-target.js';
import { assertMayActOnMember } from '../access/member-rules.js';
import type { PeopleStore } from './people-store.js';

/**
 * Changes a member's role, restrictions or routing capacity (`PATCH …/members/:userId`).
 * Decided on locked rows (`lockTarget`): two Owners demoting each other at the same moment
 * cannot both succeed, since the second sees the first's change and the last active Owner is
 * never demoted (PRODUCT.md §2). Audited in the same transaction; `access.changed` after it.
 */
export interface ChangeMemberAccessInput {
  actor: Principal;
  workspaceId: string;
  userId: string;
  role?: string;
  restrictions?: Restrictions;
  /**
   * Restrictions to add and to lift, applied to the member's current ones as read on the
   * locked row — so two admins restricting one member at the same moment both count (the Slack
   * bot's `restrict` / `unrestrict`). Not with `restrictions`.
   */
  restrictionChanges?: { add: Restrictions; lift: readonly RestrictionKey[] };
  /** Most open chats routed to them; null: no limit. */
  capacity?: number | null;
}

export interface ChangeMemberAccessDeps {
  store: PeopleStore;
  events: EventPublisher;
}

export async function changeMemberAccess(
  deps: ChangeMemberAccessDeps,
  input: ChangeMemberAccessInput,
): Promise<void> {
  const { actor, workspaceId, userId, role, capacity, restrictionChanges } = input;
  await commitAccessChange(deps, workspaceId, async (tx) => {
    const { target, activeOwnerCount } = await lockTarget(tx, actor, workspaceId, userId);
    const restrictions =
      input.restrictions ??
      (restrictionChanges && changedRestrictions(target.restrictions, restrictionChanges));
    const targetFacts = { userId, role: target.role, status: target.status };
    if (role !== undefined) {
      if (!(await tx.roleExists(workspaceId, role))) {
        throw new AppError('invalid_input', 'unknown role', {
          details: [
            {
              path: 'body.role',
              message: 'not a built-in role or a custom role of this workspace',
            },
          ],
        });
      }
      assertMayActOnMember(actor, {
        action: 'change_role',
        target: targetFacts,
        newRole: role,
        activeOwnerCount,
      });
    }
    if (restrictions !== undefined || capacity !== undefined) {
      assertMayActOnMember(actor, { action: 'restrict', target: targetFacts, activeOwnerCount });
    }
    await tx.updateMember(workspaceId, userId, {
      ...(role !== undefined ? { role } : {}),
      ...(restrictions !== undefined ? { restrictions } : {}),
      ...(capacity !== undefined ? { capacity } : {}),
    });
    return {
      result: undefined,
      audit: {
        workspaceId,
        actorUserId: actor.userId,
        action: 'member.update',
        targetType: 'member',
        targetId: userId,
        before: { role: target.role, restrictions: target.restrictions, capacity: target.capacity },
        after: {
          role: role ?? target.role,
          restrictions: restrictions ?? target.restrictions,
          capacity: capacity === undefined ? target.capacity : capacity,
        },
      },
    };
  });
}

function changedRestrictions(
  current: Restrictions,
  changes: { add: Restrictions; lift: readonly RestrictionKey[] },
): Restrictions {
  const next: Record<string, unknown> = { ...current, ...changes.add };
  for (const key of changes.lift) delete next[key];
  const parsed = restrictionsSchema.safeParse(next);
  if (!parsed.success) {
    throw new AppError('invalid_input', 'those are not restrictions a member can have', {
      details: issueDetails(parsed.error.issues, 'restrictions'),
    });
  }
  return parsed.data;
}
