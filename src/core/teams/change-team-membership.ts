import { requirePermission, type AccessFactsSource, type Principal } from '../access/index.js';
import { AppError } from '../errors.js';
import type { EventPublisher } from '../events/events.js';
import { commitAccessChange } from '../commit-access-change.js';
import type { TeamsStore } from './teams-store.js';

/**
 * Adds a member to a team or removes them (teams.manage). Team scope and role bindings to the
 * team follow membership, so the member's access changes: `access.changed` after the commit.
 * A team deleted or of another workspace, or a member revoked or of another workspace, is
 * not found.
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
  access: AccessFactsSource;
  events: EventPublisher;
}

export async function changeTeamMembership(
  deps: ChangeTeamMembershipDeps,
  input: ChangeTeamMembershipInput,
): Promise<void> {
  const { actor, workspaceId, teamId, userId, action } = input;
  requirePermission(actor, 'teams.manage');
  const facts = await deps.access.workspaceAccess(workspaceId);
  if (!facts.teams.some((t) => t.id === teamId && t.status !== 'deleted'))
    throw new AppError('not_found', 'no such team');
  const target = facts.members.find((m) => m.userId === userId);
  if (!target || target.status === 'revoked') throw new AppError('not_found', 'no such member');
  await commitAccessChange(deps, workspaceId, async (tx) => {
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
