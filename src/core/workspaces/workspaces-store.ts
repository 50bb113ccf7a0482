/**
 * The store ports of the tenancy actions (create an organization, create a workspace, read
 * one). An organization, its first workspace, its Owner and the Owner's token are written in
 * one transaction (`WorkspacesTx`), with the audit entry: all of it, or nothing.
 */
export interface WorkspacesStore {
  /** Runs `work` in one transaction: everything it wrote commits together, or nothing does. */
  transaction<T>(work: (tx: WorkspacesTx) => Promise<T>): Promise<T>;
  /**
   * The workspaces of the organization where the user is an active member (none: the
   * organization does not exist for them).
   */
  memberWorkspaceIds(organizationId: string, userId: string): Promise<string[]>;
  /** Undefined: no such workspace. */
  findWorkspace(workspaceId: string): Promise<WorkspaceRecord | undefined>;
}

export interface OrganizationRecord {
  id: string;
  name: string;
  createdAt: Date;
}

export interface WorkspaceRecord {
  id: string;
  organizationId: string;
  name: string;
  createdAt: Date;
}

export interface UserRecord {
  id: string;
  email: string;
  name: string;
}

/** One audit entry (who — null for the platform token —, what, after). */
export interface WorkspacesAuditEntry {
  organizationId: string;
  workspaceId: string;
  actorUserId: string | null;
  action: 'organization.create' | 'workspace.create';
  targetType: 'organization' | 'workspace';
  targetId: string;
  after: unknown;
}

/** The transaction-scoped half of `WorkspacesStore`. */
export interface WorkspacesTx {
  insertOrganization(organization: { name: string }): Promise<OrganizationRecord>;
  /** A new workspace of the organization, with its own integration secret. */
  insertWorkspace(workspace: { organizationId: string; name: string }): Promise<WorkspaceRecord>;
  /**
   * The user of this email, or a new one: a person is one user across organizations
   * (PRODUCT.md §1), so a known email's profile is reused.
   */
  findOrCreateUser(person: { email: string; name: string }): Promise<UserRecord>;
  /** Idempotent: a user already in the organization stays so. */
  joinOrganization(organizationId: string, userId: string): Promise<void>;
  /** The user becomes an active Owner of the workspace. */
  addOwner(workspaceId: string, userId: string): Promise<void>;
  /** A new bearer token for the user; only its hash is kept, the token is returned once. */
  issueToken(userId: string, label: string): Promise<string>;
  audit(entry: WorkspacesAuditEntry): Promise<void>;
}
