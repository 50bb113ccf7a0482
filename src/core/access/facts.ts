import type { PermissionLevels } from './levels.js';
import type { Restrictions } from './restrictions.js';

/**
 * The facts the policy decides from, as plain data: what adapters load from the database
 * (or tests build in memory). Nothing here knows where it came from.
 */

/** Who owns a channel account: the user who connected it, a team, or HQ (the workspace). */
export type OwnerRef =
  { type: 'user'; userId: string } | { type: 'team'; teamId: string } | { type: 'workspace' };

/** Who a chat is assigned to; null: unassigned (HQ's queue). */
export type AssigneeRef =
  { type: 'user'; userId: string } | { type: 'team'; teamId: string } | null;

export type MembershipStatus = 'active' | 'suspended' | 'revoked';
export type TeamStatus = 'active' | 'suspended' | 'deleted';

export interface MemberFacts {
  userId: string;
  name: string;
  status: MembershipStatus;
  /** A built-in role key or a custom role's id. */
  role: string;
  restrictions: Restrictions;
}

export interface TeamFacts {
  id: string;
  name: string;
  parentId: string | null;
  status: TeamStatus;
}

export interface CustomRoleFacts {
  id: string;
  name: string;
  /** Already validated and completed (`validateRolePermissions`). */
  permissions: PermissionLevels;
}

export interface BindingFacts {
  id: string;
  roleId: string;
  subject: { type: 'user' | 'team'; id: string };
}

/** Everything about one workspace's people that access depends on. */
export interface WorkspaceAccessFacts {
  workspaceId: string;
  members: readonly MemberFacts[];
  teams: readonly TeamFacts[];
  teamMembers: ReadonlyArray<{ teamId: string; userId: string }>;
  customRoles: readonly CustomRoleFacts[];
  bindings: readonly BindingFacts[];
}

export interface ChannelFacts {
  id: string;
  workspaceId: string;
  owner: OwnerRef;
}

export interface ChatFacts {
  id: string;
  workspaceId: string;
  channelId: string;
  channelOwner: OwnerRef;
  assignee: AssigneeRef;
  participantIds: readonly string[];
  /** Users a connected CRM confirmed for the chat's linked record (PRODUCT.md §3.5). */
  crmGrantUserIds?: readonly string[];
}
