import { requirePermission, type Principal } from '../access/index.js';
import { AppError } from '../errors.js';
import type { EventPublisher } from '../events/events.js';
import { commitAccessChange } from '../commit-access-change.js';
import type { TeamsStore } from './teams-store.js';

/**
 * The request-time half of suspending or deleting a team (PRODUCT.md §2): the team stops
 * giving access at once, and a `team.suspend` / `team.delete` job is recorded in the same
 * transaction; through the outbox it becomes the background half, `handBackTeam`
 * (`adapters/db/job-stores.ts`), which hands what the team owned (accounts, contacts, queue)
 * to HQ and moves its sub-teams up. Decided on the team's locked row: a team already
 * suspended is a conflict, a deleted one (or one of another workspace) is not found.
 */
export interface ChangeTeamStatusInput {
  actor: Principal;
  workspaceId: string;
  teamId: string;
  action: 'suspend' | 'delete';
}

export interface ChangeTeamStatusDeps {
  store: TeamsStore;
  events: EventPublisher;
}

export async function changeTeamStatus(
  deps: ChangeTeamStatusDeps,
  input: ChangeTeamStatusInput,
): Promise<{ jobId: string }> {
  const { actor, workspaceId, teamId, action } = input;
  requirePermission(actor, 'teams.manage');
  const status = action === 'suspend' ? ('suspended' as const) : ('deleted' as const);
  const jobId = await commitAccessChange(deps, workspaceId, async (tx) => {
    const team = await tx.lockTeam(workspaceId, teamId);
    if (!team || team.status === 'deleted') throw new AppError('not_found', 'no such team');
    if (action === 'suspend' && team.status === 'suspended')
      throw new AppError('conflict', 'the team is already suspended');
    await tx.setTeamStatus(workspaceId, teamId, status);
    const jobId = await tx.recordJob({
      workspaceId,
      type: `team.${action}`,
      input: { teamId },
      createdBy: actor.userId,
    });
    return {
      result: jobId,
      audit: {
        workspaceId,
        actorUserId: actor.userId,
        action: `team.${action}`,
        targetType: 'team',
        targetId: teamId,
        before: { status: team.status },
        after: { status, jobId },
      },
    };
  });
  return { jobId };
}
