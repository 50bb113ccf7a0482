import { requirePermission, type Principal } from '../access/index.js';
import type { IntegrationRecord, IntegrationsStore } from './integrations-store.js';

/** The workspace's integrations (needs integrations.manage); secrets are never part of them. */
export async function listIntegrations(
  deps: { store: IntegrationsStore },
  input: { actor: Principal; workspaceId: string },
): Promise<IntegrationRecord[]> {
  requirePermission(input.actor, 'integrations.manage');
  return deps.store.list(input.workspaceId);
}
