/**
 * The store ports of integrations (shared/API.md "Integrations"): a Slack team linked to the
 * workspace its slash commands act on, a generic CRM that signs its panel requests, a Pipedrive
 * company whose JSON panels Switchboard answers. One workspace per Slack team is the store's
 * promise: a second link of the same team is refused by `insert` (a unique index in
 * PostgreSQL), so two admins linking one team at the same moment cannot both succeed.
 */
export interface IntegrationsStore {
  /** Runs `work` in one transaction: everything it wrote commits together, or nothing does. */
  transaction<T>(work: (tx: IntegrationsTx) => Promise<T>): Promise<T>;
  /** The workspace's integrations, oldest first. */
  list(workspaceId: string): Promise<IntegrationRecord[]>;
  /** An integration by id, of any workspace (a signed CRM request names only the integration). */
  find(integrationId: string): Promise<IntegrationRecord | undefined>;
  /** The member a CRM user id acts as, if mapped. */
  memberOfCrmUser(integrationId: string, crmUserId: string): Promise<string | undefined>;
}

interface IntegrationBase {
  id: string;
  workspaceId: string;
  name: string;
}

export interface SlackIntegration extends IntegrationBase {
  type: 'slack';
  /** The Slack team (`T…`) whose commands act on this workspace. */
  teamId: string;
}

export interface CrmIntegration extends IntegrationBase {
  type: 'crm';
  /** What the CRM signs its panel requests with; shown once, at creation. */
  secret: string;
}

export interface PipedriveSettings {
  /** The Pipedrive company (account) whose panels are answered; others are refused. */
  companyId: string;
  /** The JSON panel's JWT secret, as set in Pipedrive's Developer Hub. */
  jwtSecret?: string;
  /** HTTP Basic credentials Pipedrive sends with panel requests, when set up there. */
  basicAuth?: { username: string; password: string };
  /** An API token to read persons and deals from Pipedrive's API. */
  apiToken?: string;
  /** Pipedrive's API base (`https://<company>.pipedrive.com`, or a test's fake). */
  apiBaseUrl: string;
}

export interface PipedriveIntegration extends IntegrationBase, PipedriveSettings {
  type: 'pipedrive';
}

export type IntegrationRecord = SlackIntegration | CrmIntegration | PipedriveIntegration;

/** What creating an integration gives the store (the id and secrets are made in core). */
export type NewIntegration =
  | Omit<SlackIntegration, 'id' | 'workspaceId'>
  | Omit<CrmIntegration, 'id' | 'workspaceId'>
  | Omit<PipedriveIntegration, 'id' | 'workspaceId'>;

export interface IntegrationsAuditEntry {
  workspaceId: string;
  actorUserId: string;
  action: 'integration.create' | 'integration.delete' | 'integration.map_user';
  targetType: 'integration';
  targetId: string;
  before?: unknown;
  after?: unknown;
}

export interface IntegrationsTx {
  /** The new integration, or `taken` when its Slack team is linked already (to any workspace). */
  insert(
    integration: NewIntegration & { workspaceId: string; createdBy: string },
  ): Promise<IntegrationRecord | 'taken'>;
  /** Removes the integration; the removed one, or undefined when the workspace has no such one. */
  remove(workspaceId: string, integrationId: string): Promise<IntegrationRecord | undefined>;
  /** The integration, locked until the transaction ends; undefined: not the workspace's. */
  lock(workspaceId: string, integrationId: string): Promise<IntegrationRecord | undefined>;
  /** This CRM user acts as `userId` from now on (replacing an earlier mapping). */
  mapCrmUser(mapping: {
    integrationId: string;
    workspaceId: string;
    crmUserId: string;
    userId: string;
  }): Promise<void>;
  audit(entry: IntegrationsAuditEntry): Promise<void>;
}

/** What an integration says about itself outside the transaction that made it: no secret. */
export function describeIntegration(i: IntegrationRecord): Record<string, unknown> {
  switch (i.type) {
    case 'slack':
      return { type: i.type, teamId: i.teamId };
    case 'crm':
      return { type: i.type, name: i.name };
    case 'pipedrive':
      return { type: i.type, name: i.name, companyId: i.companyId, apiBaseUrl: i.apiBaseUrl };
  }
}
