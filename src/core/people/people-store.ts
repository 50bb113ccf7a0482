import type { MembershipStatus, Restrictions } from '../access/index.js';

/**
 * The store ports of the people actions (invite, change a member's access, suspend or
 * reinstate them, start a revoke or a bulk reassignment). Every rule about the workspace's Owners is decided on rows this store
 * locked, so two admin actions at the same moment are decided one after the other: the
 * second sees what the first did (PRODUCT.md §2, "the last active Owner can never be removed
 * or demoted"). Only a `PeopleTx` can lock, and it exists only inside `transaction`.
 */
export interface PeopleStore {
  /** Runs `work` in one transaction: everything it wrote commits together, or nothing does. */
  transaction<T>(work: (tx: PeopleTx) => Promise<T>): Promise<T>;
}

/** A member as the people actions see them. */
export interface MemberRecord {
  userId: string;
  role: string;
  status: MembershipStatus;
  restrictions: Restrictions;
  capacity: number | null;
}

/** What `lockMembers` locked and read, after the lock was granted. */
export interface LockedMembers {
  /** Undefined: not a member of the workspace (never was). */
  target: MemberRecord | undefined;
  /** The acting member as the database has them now (undefined if they are gone). */
  actor: MemberRecord | undefined;
  /** Active Owners of the workspace, counted on the locked rows (the target included). */
  activeOwnerCount: number;
}

export interface MemberChange {
  role?: string;
  restrictions?: Restrictions;
  capacity?: number | null;
  status?: MembershipStatus;
  /** Set with `status`: when a suspension or revocation began (null clears it). */
  suspendedAt?: Date | null;
  revokedAt?: Date | null;
}

/** One audit entry (who, what, before/after), written in the action's transaction. */
export interface PeopleAuditEntry {
  workspaceId: string;
  actorUserId: string;
  action: string;
  targetType: 'member' | 'invitation';
  targetId: string;
  before?: unknown;
  after?: unknown;
}

/** The transaction-scoped half of `PeopleStore`. */
export interface PeopleTx {
  /**
   * Locks (`FOR UPDATE`, in one fixed order, so concurrent actions wait rather than
   * deadlock) the memberships of the target, the actor and every active Owner of the
   * workspace, and reads them as they are once locked. Until the transaction ends nobody
   * else can change them, so a rule decided on this answer still holds at commit.
   */
  lockMembers(workspaceId: string, ids: { target: string; actor: string }): Promise<LockedMembers>;
  /** Is `role` a built-in role or a custom role of the workspace? */
  roleExists(workspaceId: string, role: string): Promise<boolean>;
  updateMember(workspaceId: string, userId: string, change: MemberChange): Promise<void>;
  /**
   * Records a background job (its durable row and an outbox row the queue gets after this
   * transaction commits); returns the job's id.
   */
  recordJob(job: {
    workspaceId: string;
    type: 'member.revoke' | 'member.reassign';
    input: Record<string, unknown>;
    createdBy: string;
  }): Promise<string>;
  audit(entry: PeopleAuditEntry): Promise<void>;
  /** Of `teamIds`, those that are active teams of the workspace. */
  activeTeamIds(workspaceId: string, teamIds: readonly string[]): Promise<string[]>;
  /** The membership status of whoever has this email address in the workspace, if anyone. */
  memberStatusByEmail(workspaceId: string, email: string): Promise<MembershipStatus | undefined>;
  /**
   * Stores a pending invitation; a pending one to the same address in the workspace is
   * cancelled (a newer invitation replaces it). Returns the new invitation's id.
   */
  replaceInvitation(invitation: NewInvitation): Promise<string>;
  /** The invitation with this token hash, locked until the transaction ends (`FOR UPDATE`). */
  lockInvitation(tokenHash: Buffer): Promise<StoredInvitation | undefined>;
  /** The user with this email (one person across organizations), created if new. */
  findOrCreateUser(person: { email: string; name: string }): Promise<PersonRecord>;
  /**
   * Makes the user an active member of the invitation's workspace (and of its organization)
   * with the invitation's role and restrictions, in those of its teams still active. A
   * revoked membership becomes active again.
   */
  joinWorkspace(invitation: StoredInvitation, userId: string): Promise<void>;
  markInvitationAccepted(invitationId: string, at: Date): Promise<void>;
  /** Issues a bearer token for the user; only its hash is stored, the token is returned once. */
  issueToken(userId: string, label: string): Promise<string>;
}

/** What an invitation offers: who, with which role, teams and restrictions. */
export interface InvitationTerms {
  email: string;
  name: string;
  role: string;
  teamIds: readonly string[];
  restrictions: Restrictions;
}

export interface StoredInvitation extends InvitationTerms {
  id: string;
  workspaceId: string;
  status: 'pending' | 'accepted' | 'cancelled';
  expiresAt: Date;
}

export interface PersonRecord {
  id: string;
  email: string;
  name: string;
}

export interface NewInvitation extends InvitationTerms {
  workspaceId: string;
  /** Only the token's hash is stored; the token itself is shown once. */
  tokenHash: Buffer;
  invitedBy: string;
  expiresAt: Date;
}
