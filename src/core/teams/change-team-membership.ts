import { requirePermission, type Principal } from '../access/index.js';
import { AppError } from '../errors.js';
import type { EventPublisher } from '../events/events.js';
import { commitAccessChange } from '../commit-access-change.js';
import type { TeamsStore } from './teams-store.js';

/**
 * Adds a member to a team or removes them (teams.manage). Team scope and role bindings to the
 * team follow membership, so the member's access changes: `access.changed` after the commit.
 * Decided on rows locked in the action's transaction (the team `FOR UPDATE`, the membership
 * `FOR SHARE`), not on cached access facts: a team deleted or a member revoked a moment ago
 * cannot be overtaken. A team deleted or of another workspace, or a member revoked or of
 * another workspace, is not found.
 */
export interface ChangeTeamMembershipInput {
  actor: Principal;
  workspaceId: string;
  teamId: string;
  userId: string;
  action: 'add' | 'remove';
}

export interface ChangeTeamMembershipDeps {
  store: TeamsStore;
  events: EventPublisher;
}

export async function changeTeamMembership(
  deps: ChangeTeamMembershipDeps,
  input: ChangeTeamMembershipInput,
): Promise<void> {
  const { actor, workspaceId, teamId, userId, action } = input;
  requirePermission(actor, 'teams.manage');
  await commitAccessChange(deps, workspaceId, async (tx) => {
    const team = await tx.lockTeam(workspaceId, teamId);
    if (!team || team.status === 'deleted') throw new AppError('not_found', 'no such team');
    const status = await tx.lockMember(workspaceId, userId);
    if (!status || status === 'revoked') throw new AppError('not_found', 'no such member');
    if (action === 'add') await tx.addTeamMember(workspaceId, teamId, userId);
    else await tx.removeTeamMember(workspaceId, teamId, userId);
    return {
      result: undefined,
      audit: {
        workspaceId,
        actorUserId: actor.userId,
        action: action === 'add' ? 'team.member_add' : 'team.member_remove',
        targetType: 'team',
        targetId: teamId,
        after: { userId },
      },
    };
  });
}
