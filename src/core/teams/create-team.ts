import {
  activeTeam,
  requirePermission,
  type AccessFactsSource,
  type Principal,
} from '../access/index.js';
import { AppError } from '../errors.js';
import type { TeamRecord, TeamsStore } from './teams-store.js';

/**
 * Creates a team, at the top or under an active parent team (teams nest; PRODUCT.md §2).
 * Needs teams.manage. A new team has no members and no bindings, so nobody's access changes.
 */
export interface CreateTeamInput {
  actor: Principal;
  workspaceId: string;
  name: string;
  parentId: string | null;
}

export interface CreateTeamDeps {
  store: TeamsStore;
  access: AccessFactsSource;
}

export async function createTeam(
  deps: CreateTeamDeps,
  input: CreateTeamInput,
): Promise<TeamRecord> {
  const { actor, workspaceId, name, parentId } = input;
  requirePermission(actor, 'teams.manage');
  if (parentId && !activeTeam(await deps.access.workspaceAccess(workspaceId), parentId)) {
    throw new AppError('invalid_input', 'no such parent team', {
      details: [{ path: 'body.parentId', message: 'not an active team of this workspace' }],
    });
  }
  return deps.store.transaction(async (tx) => {
    const team = await tx.insertTeam({ workspaceId, name, parentId });
    await tx.audit({
      workspaceId,
      actorUserId: actor.userId,
      action: 'team.create',
      targetType: 'team',
      targetId: team.id,
      after: { name: team.name, parentId },
    });
    return team;
  });
}
