import type { AccessFactsSource, Principal } from '../access/index.js';
import { AppError } from '../errors.js';
import type { AccountStore } from '../identity/account-store.js';
import { activeOwnerCount, assertMayActOnMember } from '../access/member-rules.js';

/**
 * An Owner or Admin revokes every API token of a member (`DELETE …/members/:userId/tokens`),
 * e.g. when a laptop is lost: the member rules decide as for restricting them (users.manage;
 * nobody below Owner acts on an Owner; nobody on themselves — their own tokens are
 * `DELETE /v1/me/tokens/:id`). Tokens are the user's, so revoking them closes every workspace
 * the user is in: refused (conflict) when that reaches a workspace of another organization,
 * whose admins this actor is not.
 */
export interface RevokeMemberTokensInput {
  actor: Principal;
  workspaceId: string;
  userId: string;
}

export async function revokeMemberTokens(
  deps: { store: AccountStore; access: AccessFactsSource; now(): Date },
  input: RevokeMemberTokensInput,
): Promise<{ revoked: number }> {
  const { actor, workspaceId, userId } = input;
  const facts = await deps.access.workspaceAccess(workspaceId);
  const target = facts.members.find((m) => m.userId === userId);
  if (!target || target.status === 'revoked') throw new AppError('not_found', 'no such member');
  assertMayActOnMember(actor, {
    action: 'restrict',
    target: { userId, role: target.role, status: target.status },
    activeOwnerCount: activeOwnerCount(facts.members),
  });
  const here = (await deps.store.workspacesOf(actor.userId)).find((w) => w.id === workspaceId);
  const theirs = await deps.store.workspacesOf(userId);
  if (!here || theirs.some((w) => w.organizationId !== here.organizationId)) {
    throw new AppError(
      'conflict',
      'their tokens also open workspaces of another organization: they revoke them themselves (DELETE /v1/me/tokens/:id)',
    );
  }
  const revoked = await deps.store.revokeAllTokens(userId, deps.now(), {
    workspaceId,
    actorUserId: actor.userId,
  });
  return { revoked };
}
