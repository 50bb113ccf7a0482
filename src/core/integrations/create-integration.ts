import { randomBytes } from 'node:crypto';
import { requirePermission, type Principal } from '../access/index.js';
import { AppError } from '../errors.js';
import { requireAllowedUrl, type OutboundPolicy } from '../outbound/outbound-policy.js';
import {
  describeIntegration,
  type IntegrationRecord,
  type IntegrationsStore,
  type PipedriveSettings,
} from './integrations-store.js';

/**
 * Links an outside system to the workspace (needs integrations.manage):
 * - a Slack team: its slash commands act on this workspace, each Slack user as the member with
 *   their email. A Slack team serves one workspace: linking it again, here or elsewhere, is a
 *   conflict;
 * - a generic CRM: a new secret its panel requests are signed with, returned this once;
 * - a Pipedrive company: its JSON panels are answered for the Pipedrive users mapped to members;
 *   an API base URL whose host is a literal non-public address (or localhost) is refused unless
 *   the outbound policy allows it.
 */
export type NewIntegrationInput =
  | { type: 'slack'; teamId: string; name?: string }
  | { type: 'crm'; name: string }
  | ({ type: 'pipedrive'; name: string } & PipedriveSettings);

export interface CreateIntegrationInput {
  actor: Principal;
  workspaceId: string;
  integration: NewIntegrationInput;
}

export async function createIntegration(
  deps: { store: IntegrationsStore; outboundPolicy: OutboundPolicy },
  input: CreateIntegrationInput,
): Promise<IntegrationRecord> {
  const { actor, workspaceId, integration } = input;
  requirePermission(actor, 'integrations.manage');
  if (integration.type === 'pipedrive')
    requireAllowedUrl(deps.outboundPolicy, integration.apiBaseUrl, 'body.apiBaseUrl');
  const fields =
    integration.type === 'slack'
      ? { ...integration, name: integration.name ?? `Slack ${integration.teamId}` }
      : integration.type === 'crm'
        ? { ...integration, secret: `sbc_${randomBytes(32).toString('base64url')}` }
        : integration;
  return deps.store.transaction(async (tx) => {
    const created = await tx.insert({ ...fields, workspaceId, createdBy: actor.userId });
    if (created === 'taken') {
      throw new AppError(
        'conflict',
        `the Slack team ${integration.type === 'slack' ? integration.teamId : ''} is linked already`,
      );
    }
    await tx.audit({
      workspaceId,
      actorUserId: actor.userId,
      action: 'integration.create',
      targetType: 'integration',
      targetId: created.id,
      after: describeIntegration(created),
    });
    return created;
  });
}
