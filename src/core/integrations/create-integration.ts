import { requirePermission, type Principal } from '../access/index.js';
import { AppError } from '../errors.js';
import type { IntegrationRecord, IntegrationsStore } from './integrations-store.js';

/**
 * Links an outside system to the workspace (needs integrations.manage). A Slack team: its
 * slash commands then act on this workspace, each Slack user as the member with their email.
 * A Slack team serves one workspace: linking it a second time, here or elsewhere, is a
 * conflict (the existing link says which commands mean what; a second would make them
 * ambiguous).
 */
export interface CreateIntegrationInput {
  actor: Principal;
  workspaceId: string;
  integration: { type: 'slack'; teamId: string; name?: string };
}

export async function createIntegration(
  deps: { store: IntegrationsStore },
  input: CreateIntegrationInput,
): Promise<IntegrationRecord> {
  const { actor, workspaceId, integration } = input;
  requirePermission(actor, 'integrations.manage');
  return deps.store.transaction(async (tx) => {
    const created = await tx.insertSlack({
      workspaceId,
      teamId: integration.teamId,
      name: integration.name ?? `Slack ${integration.teamId}`,
      createdBy: actor.userId,
    });
    if (created === 'taken') {
      throw new AppError('conflict', `the Slack team ${integration.teamId} is linked already`);
    }
    await tx.audit({
      workspaceId,
      actorUserId: actor.userId,
      action: 'integration.create',
      targetType: 'integration',
      targetId: created.id,
      after: { type: created.type, teamId: created.teamId },
    });
    return created;
  });
}
