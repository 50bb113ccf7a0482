import {
  buildPrincipal,
  requirePermission,
  type AccessFactsSource,
  type Principal,
} from '../access/index.js';
import { AppError } from '../errors.js';
import type { IntegrationsStore } from './integrations-store.js';

/**
 * Says which member a CRM user (a Pipedrive user id, a HubSpot owner id…) acts as in that CRM's
 * panels (needs integrations.manage). The member must belong to the workspace; what they may
 * do there is decided at each request, under their own role and restrictions, so mapping a
 * suspended member is allowed and gives nothing until they are reinstated.
 */
export interface MapCrmUserInput {
  actor: Principal;
  workspaceId: string;
  integrationId: string;
  crmUserId: string;
  userId: string;
}

export async function mapCrmUser(
  deps: { store: IntegrationsStore; access: AccessFactsSource },
  input: MapCrmUserInput,
): Promise<void> {
  const { actor, workspaceId, integrationId, crmUserId, userId } = input;
  requirePermission(actor, 'integrations.manage');
  const member = buildPrincipal(await deps.access.workspaceAccess(workspaceId), userId);
  if (!member || member.status === 'revoked') {
    throw new AppError('invalid_input', 'no such member', {
      details: [{ path: 'body.userId', message: 'not a member of this workspace' }],
    });
  }
  await deps.store.transaction(async (tx) => {
    const integration = await tx.lock(workspaceId, integrationId);
    if (!integration) throw new AppError('not_found', 'no such integration');
    if (integration.type === 'slack') {
      throw new AppError(
        'invalid_input',
        'a Slack integration maps its users by email; CRM user ids belong to CRM integrations',
      );
    }
    await tx.mapCrmUser({ integrationId, workspaceId, crmUserId, userId });
    await tx.audit({
      workspaceId,
      actorUserId: actor.userId,
      action: 'integration.map_user',
      targetType: 'integration',
      targetId: integrationId,
      after: { crmUserId, userId },
    });
  });
}
