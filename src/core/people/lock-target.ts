import { AppError } from '../errors.js';
import type { Principal } from '../access/index.js';
import type { MemberRecord, PeopleTx } from './people-store.js';

/**
 * The first step of every action on a member: lock the target, the actor and the
 * workspace's active Owners (`PeopleTx.lockMembers`), and read them as they are now. The
 * actor's principal was built before the transaction; if their own role or status changed
 * since (another admin acted on them a moment ago), the action is refused rather than decided
 * on access they no longer have.
 */
export async function lockTarget(
  tx: PeopleTx,
  actor: Principal,
  workspaceId: string,
  userId: string,
): Promise<{ target: MemberRecord; activeOwnerCount: number }> {
  const locked = await tx.lockMembers(workspaceId, { target: userId, actor: actor.userId });
  if (!locked.target) throw new AppError('not_found', 'no such member');
  if (locked.actor?.status !== 'active' || locked.actor.role !== actor.role) {
    throw new AppError('conflict', 'your own access changed meanwhile: try again');
  }
  return { target: locked.target, activeOwnerCount: locked.activeOwnerCount };
}
