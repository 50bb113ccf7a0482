import { buildPrincipal, type AccessFactsSource, type Principal } from '../access/index.js';
import { AppError } from '../errors.js';
import { activeOwnerCount, assertMayActOnMember } from '../access/member-rules.js';
import { assertHeir } from './start-revoke.js';

/**
 * What revoking a member would do, asked before anything is done (the Slack bot's confirm
 * step: "revoke Ana: 312 chats move to Bob"): the same rules `startRevoke` decides by —
 * whether the actor may revoke them, whether the heir can be assigned chats — on the
 * workspace's current facts, and how many chats are assigned to the member now. Nothing is
 * written or locked: `startRevoke` decides again, on locked rows, when the actor confirms.
 */
export interface PlanRevokeInput {
  actor: Principal;
  workspaceId: string;
  userId: string;
  reassignTo?: string;
}

export interface PlanRevokeDeps {
  access: AccessFactsSource;
  /** How many chats are assigned to the member now. */
  countAssignedChats(workspaceId: string, userId: string): Promise<number>;
}

export interface RevokePlan {
  target: { userId: string; name: string; role: string };
  heir: { userId: string; name: string } | null;
  /** Chats assigned to the member now: all move to the heir, or become unassigned. */
  chats: number;
}

export async function planRevoke(
  deps: PlanRevokeDeps,
  input: PlanRevokeInput,
): Promise<RevokePlan> {
  const { actor, workspaceId, userId, reassignTo } = input;
  const facts = await deps.access.workspaceAccess(workspaceId);
  const target = facts.members.find((m) => m.userId === userId);
  if (!target) throw new AppError('not_found', 'no such member');
  assertMayActOnMember(actor, {
    action: 'revoke',
    target: { userId, role: target.role, status: target.status },
    activeOwnerCount: activeOwnerCount(facts.members),
  });
  const heir = reassignTo === undefined ? undefined : buildPrincipal(facts, reassignTo);
  assertHeir(userId, reassignTo, heir);
  return {
    target: { userId, name: target.name, role: target.role },
    heir: heir ? { userId: heir.userId, name: heir.name } : null,
    chats: await deps.countAssignedChats(workspaceId, userId),
  };
}
