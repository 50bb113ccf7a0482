/**
 * The store ports of integrations (shared/API.md "Integrations"): a Slack team linked to the
 * workspace its slash commands act on. One workspace per Slack team is the store's promise:
 * a second link of the same team is refused by `insertSlack` (a unique index in PostgreSQL),
 * so two admins linking one team at the same moment cannot both succeed.
 */
export interface IntegrationsStore {
  /** Runs `work` in one transaction: everything it wrote commits together, or nothing does. */
  transaction<T>(work: (tx: IntegrationsTx) => Promise<T>): Promise<T>;
  /** The workspace's integrations, oldest first. */
  list(workspaceId: string): Promise<IntegrationRecord[]>;
}

export interface SlackIntegration {
  id: string;
  workspaceId: string;
  type: 'slack';
  name: string;
  /** The Slack team (`T…`) whose commands act on this workspace. */
  teamId: string;
}

export type IntegrationRecord = SlackIntegration;

export interface IntegrationsAuditEntry {
  workspaceId: string;
  actorUserId: string;
  action: 'integration.create' | 'integration.delete';
  targetType: 'integration';
  targetId: string;
  before?: unknown;
  after?: unknown;
}

export interface IntegrationsTx {
  /** The new link, or `taken` when the Slack team is linked already (to any workspace). */
  insertSlack(link: {
    workspaceId: string;
    teamId: string;
    name: string;
    createdBy: string;
  }): Promise<SlackIntegration | 'taken'>;
  /** Removes the integration; the removed one, or undefined when the workspace has no such one. */
  remove(workspaceId: string, integrationId: string): Promise<IntegrationRecord | undefined>;
  audit(entry: IntegrationsAuditEntry): Promise<void>;
}
