import { requirePermission, type Principal } from '../access/index.js';
import { AppError } from '../errors.js';
import { describeIntegration, type IntegrationsStore } from './integrations-store.js';

/**
 * Unlinks an integration (needs integrations.manage): a Slack team's commands, a CRM's signed
 * requests and Pipedrive's panels stop acting on the workspace with the next request. One of
 * another workspace is not found.
 */
export async function deleteIntegration(
  deps: { store: IntegrationsStore },
  input: { actor: Principal; workspaceId: string; integrationId: string },
): Promise<void> {
  const { actor, workspaceId, integrationId } = input;
  requirePermission(actor, 'integrations.manage');
  await deps.store.transaction(async (tx) => {
    const removed = await tx.remove(workspaceId, integrationId);
    if (!removed) throw new AppError('not_found', 'no such integration');
    await tx.audit({
      workspaceId,
      actorUserId: actor.userId,
      action: 'integration.delete',
      targetType: 'integration',
      targetId: integrationId,
      before: describeIntegration(removed),
    });
  });
}
