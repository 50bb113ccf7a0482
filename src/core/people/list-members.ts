import {
  activeOwnerCount,
  grantableRoles,
  memberActionsFor,
  type MemberMay,
} from '../access/member-rules.js';
import { mayViewMembers } from '../access/decide.js';
import type { AccessFactsSource, MembershipStatus, Principal } from '../access/index.js';
import { AppError } from '../errors.js';

/**
 * The member list (shared/API.md `GET …/members`, the Slack bot's `users` and `export users`):
 * everyone of the workspace, then the pending invitations, each member with what the actor may
 * do to them (`may`, from the member rules), and the roles the actor may give. Any active member
 * may read it: colleagues' names and emails are how members find each other.
 */
export interface DirectoryMember {
  userId: string;
  email: string;
  name: string;
  role: string;
  status: MembershipStatus;
  teamIds: string[];
  /** As stored; the presenter parses it. */
  restrictions: unknown;
  lastSeenAt: Date | null;
}

export interface DirectoryInvitation {
  invitationId: string;
  email: string;
  name: string;
  role: string;
  teamIds: string[];
  restrictions: unknown;
}

export interface MemberDirectorySource {
  /** Members by name, and invitations still pending at `now`, oldest first. */
  memberDirectory(
    workspaceId: string,
    now: Date,
  ): Promise<{ members: DirectoryMember[]; invitations: DirectoryInvitation[] }>;
}

export interface ListMembersInput {
  actor: Principal;
  workspaceId: string;
}

export interface MemberList {
  members: Array<DirectoryMember & { may: MemberMay }>;
  invitations: DirectoryInvitation[];
  grantableRoles: Array<{ id: string; name: string }>;
}

export async function listMembers(
  deps: { directory: MemberDirectorySource; access: AccessFactsSource; now: () => Date },
  input: ListMembersInput,
): Promise<MemberList> {
  const { actor, workspaceId } = input;
  if (actor.workspaceId !== workspaceId || !mayViewMembers(actor))
    throw new AppError('forbidden', 'only active members may read the member list');
  const [directory, facts] = await Promise.all([
    deps.directory.memberDirectory(workspaceId, deps.now()),
    deps.access.workspaceAccess(workspaceId),
  ]);
  const owners = activeOwnerCount(directory.members);
  return {
    members: directory.members.map((m) => ({
      ...m,
      may: memberActionsFor(actor, m, owners),
    })),
    invitations: directory.invitations,
    grantableRoles: grantableRoles(actor, facts.customRoles),
  };
}
