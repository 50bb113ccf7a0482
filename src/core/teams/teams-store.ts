import type { MembershipStatus, PermissionLevels, TeamStatus } from '../access/index.js';

/**
 * The store ports of the team and role admin actions (create a team, add or remove a member,
 * suspend or delete a team, define a custom role, bind it). A team's status is decided on the
 * team's row locked in the action's transaction, so two admins suspending one team at once
 * are decided one after the other. Only a `TeamsTx` can lock, and it exists only inside
 * `transaction`.
 */
export interface TeamsStore {
  /** Runs `work` in one transaction: everything it wrote commits together, or nothing does. */
  transaction<T>(work: (tx: TeamsTx) => Promise<T>): Promise<T>;
}

export interface TeamRecord {
  id: string;
  name: string;
  parentId: string | null;
  status: TeamStatus;
}

export interface RoleRecord {
  id: string;
  name: string;
  permissions: PermissionLevels;
}

export interface BindingRecord {
  id: string;
  roleId: string;
  subject: { type: 'user' | 'team'; id: string };
}

/** The background jobs a team action records (a team's hand-back to HQ). */
export type TeamJobType = 'team.suspend' | 'team.delete';

/** One audit entry (who, what, before/after), written in the action's transaction. */
export interface TeamsAuditEntry {
  workspaceId: string;
  actorUserId: string;
  action:
    | 'team.create'
    | 'team.member_add'
    | 'team.member_remove'
    | 'team.suspend'
    | 'team.delete'
    | 'role.create'
    | 'role.bind';
  targetType: 'team' | 'role' | 'role_binding';
  targetId: string;
  before?: unknown;
  after?: unknown;
}

/** The transaction-scoped half of `TeamsStore`. */
export interface TeamsTx {
  /**
   * The team, locked (`FOR UPDATE`) until the transaction ends: a status decided on this
   * answer still holds at commit. Undefined: not a team of the workspace.
   */
  lockTeam(workspaceId: string, teamId: string): Promise<TeamRecord | undefined>;
  /**
   * The member's status, locked (`FOR SHARE`) until the transaction ends: a revoke committing
   * meanwhile waits for this one, or is seen. Undefined: not a member of the workspace.
   */
  lockMember(workspaceId: string, userId: string): Promise<MembershipStatus | undefined>;
  /** A new active team (under `parentId`, if given), its place in the team tree kept. */
  insertTeam(team: {
    workspaceId: string;
    name: string;
    parentId: string | null;
  }): Promise<TeamRecord>;
  setTeamStatus(workspaceId: string, teamId: string, status: TeamStatus): Promise<void>;
  /** Idempotent: adding a member already in the team changes nothing. */
  addTeamMember(workspaceId: string, teamId: string, userId: string): Promise<void>;
  removeTeamMember(workspaceId: string, teamId: string, userId: string): Promise<void>;
  insertRole(role: {
    workspaceId: string;
    name: string;
    permissions: PermissionLevels;
  }): Promise<RoleRecord>;
  /** The new binding; undefined when the same binding exists already. */
  insertBinding(binding: {
    workspaceId: string;
    roleId: string;
    subject: { type: 'user' | 'team'; id: string };
    createdBy: string;
  }): Promise<BindingRecord | undefined>;
  /**
   * Records a background job (its durable row and an outbox row the queue gets after this
   * transaction commits); returns the job's id.
   */
  recordJob(job: {
    workspaceId: string;
    type: TeamJobType;
    input: Record<string, unknown>;
    createdBy: string;
  }): Promise<string>;
  audit(entry: TeamsAuditEntry): Promise<void>;
}
