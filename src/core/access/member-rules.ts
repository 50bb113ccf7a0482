import { AppError } from '../errors.js';
import { builtInRoles, isBuiltInRole } from './roles.js';
import { checkPermission } from './check.js';
import type { Principal } from './principal.js';
import type { MembershipStatus } from './facts.js';

/**
 * Who may do what to whom (PRODUCT.md §2), as pure functions over the actor's principal:
 * - Owners invite (and promote to) every role; Admins every role but Owner.
 * - Nobody revokes, suspends or changes their own access.
 * - Nobody below Owner suspends, revokes or demotes an Owner.
 * - The last active Owner can never be removed or demoted.
 */
export type MemberAction =
  'invite' | 'change_role' | 'restrict' | 'suspend' | 'reinstate' | 'revoke';

export interface TargetMember {
  userId: string;
  role: string;
  status: MembershipStatus;
}

const isOwner = (role: string) => role === 'owner';

/**
 * Active Owners among the workspace's members, as the facts show them (a preview; actions that
 * change access count them on locked rows, `lockTarget`).
 */
export const activeOwnerCount = (
  members: ReadonlyArray<{ role: string; status: MembershipStatus }>,
) => members.filter((m) => isOwner(m.role) && m.status === 'active').length;

/** Custom roles sit between Admin and Agent for who-may-grant-what: Admins may grant them. */
const rankOf = (role: string): number => (isBuiltInRole(role) ? builtInRoles[role].rank : 3);

function requireUsersManage(actor: Principal) {
  const decision = checkPermission(actor, 'users.manage');
  if (!decision.allowed) {
    throw new AppError('forbidden', `your role ${actor.roleName} may not manage users`);
  }
}

/** May the actor give someone `role` (inviting, or changing a role to it)? */
export function assertMayGrantRole(actor: Principal, role: string): void {
  requireUsersManage(actor);
  if (isOwner(role) && !isOwner(actor.role)) {
    throw new AppError('forbidden', 'only an Owner may make someone an Owner');
  }
  if (rankOf(role) > rankOf(actor.role)) {
    throw new AppError('forbidden', `you may not grant a role above your own (${actor.roleName})`);
  }
}

export interface MemberActionInput {
  action: Exclude<MemberAction, 'invite'>;
  target: TargetMember;
  /** For change_role. */
  newRole?: string;
  /** Active Owners of the workspace, the target included if they are one. */
  activeOwnerCount: number;
}

export function assertMayActOnMember(actor: Principal, input: MemberActionInput): void {
  const { action, target } = input;
  requireUsersManage(actor);
  if (target.userId === actor.userId) {
    throw new AppError('forbidden', 'nobody may change their own access: ask another admin');
  }
  if (target.status === 'revoked') {
    throw new AppError('conflict', 'the member is revoked; revoking cannot be undone');
  }
  if (isOwner(target.role) && !isOwner(actor.role)) {
    throw new AppError('forbidden', 'only an Owner may change an Owner’s access');
  }
  const removesOwner =
    isOwner(target.role) &&
    target.status === 'active' &&
    (action === 'suspend' ||
      action === 'revoke' ||
      (action === 'change_role' && input.newRole !== 'owner'));
  if (removesOwner && input.activeOwnerCount <= 1) {
    throw new AppError(
      'conflict',
      'the last active Owner of a workspace cannot be removed or demoted',
    );
  }
  if (action === 'change_role' && input.newRole !== undefined)
    assertMayGrantRole(actor, input.newRole);
  // An Admin's restrictions are the Owner's to set (PRODUCT.md §3.2: ⭕ "may be granted by the Owner").
  if (action === 'restrict' && target.role === 'admin' && !isOwner(actor.role)) {
    throw new AppError('forbidden', 'only an Owner may restrict an Admin');
  }
  if (action === 'suspend' && target.status !== 'active') {
    throw new AppError('conflict', `the member is ${target.status}, not active`);
  }
  if (action === 'reinstate' && target.status !== 'suspended') {
    throw new AppError('conflict', `the member is ${target.status}, not suspended`);
  }
}

/**
 * May the actor move a member's chats in bulk (PRODUCT.md §2: a suspended member's assignments
 * stay, and admins can reassign them in bulk)? Users.manage, and only a suspended member's.
 */
export function assertMayReassignChatsOf(actor: Principal, target: TargetMember): void {
  requireUsersManage(actor);
  if (target.status !== 'suspended') {
    throw new AppError(
      'conflict',
      `the member is ${target.status}; bulk reassignment is for suspended members`,
    );
  }
}

/**
 * May the actor export the member list as CSV (PRODUCT.md §2: admins; it is a data export,
 * so the noDataExport restriction withholds it too)?
 */
export function assertMayExportMembers(actor: Principal): void {
  for (const permission of ['users.manage', 'data.export'] as const) {
    if (!checkPermission(actor, permission).allowed) {
      throw new AppError('forbidden', `exporting the member list needs ${permission}`);
    }
  }
}

/**
 * The background jobs (revoke, bulk reassignment, team hand-back) an actor may follow: all of
 * the workspace's for anyone who manages users, else the ones they started. Others are told a
 * job does not exist.
 */
export type JobScope = { all: true } | { all: false; createdBy: string };

export const jobScope = (actor: Principal): JobScope =>
  checkPermission(actor, 'users.manage').allowed
    ? { all: true }
    : { all: false, createdBy: actor.userId };

export function mayFollowJob(actor: Principal, job: { createdBy: string | null }): boolean {
  const scope = jobScope(actor);
  return scope.all || job.createdBy === scope.createdBy;
}

/** True when `decide` lets it through; false when it refuses (any other failure is thrown). */
function passes(decide: () => void): boolean {
  try {
    decide();
    return true;
  } catch (error) {
    if (error instanceof AppError) return false;
    throw error;
  }
}

/**
 * What the actor may do to one member, each answered by `assertMayActOnMember` above: what a
 * page or a bot offers, so that no adapter restates who may act on whom. `changeRole` says a
 * role change is possible at all; which roles, `grantableRoles` says.
 */
export interface MemberMay {
  changeRole: boolean;
  restrict: boolean;
  suspend: boolean;
  reinstate: boolean;
  revoke: boolean;
}

export function memberActionsFor(
  actor: Principal,
  target: TargetMember,
  activeOwners: number,
): MemberMay {
  const may = (action: MemberActionInput['action']) =>
    passes(() => assertMayActOnMember(actor, { action, target, activeOwnerCount: activeOwners }));
  return {
    changeRole: may('change_role'),
    restrict: may('restrict'),
    suspend: may('suspend'),
    reinstate: may('reinstate'),
    revoke: may('revoke'),
  };
}

/** The roles (built-in, then the workspace's custom ones) the actor may give someone. */
export function grantableRoles(
  actor: Principal,
  customRoles: ReadonlyArray<{ id: string; name: string }>,
): Array<{ id: string; name: string }> {
  const roles = [
    ...Object.values(builtInRoles).map((r) => ({ id: r.key, name: r.name })),
    ...customRoles.map((r) => ({ id: r.id, name: r.name })),
  ];
  return roles.filter((r) => passes(() => assertMayGrantRole(actor, r.id)));
}
