import type { MembershipStatus } from '../access/index.js';

/**
 * The store port of a user's own account (`GET /v1/me`, their API tokens) and of an admin
 * revoking a member's tokens. Tokens are the user's, not a workspace's: one token opens every
 * workspace the user belongs to. Only tokens' hashes are stored (`core/tokens.ts`).
 */
export interface AccountStore {
  /** The workspaces the user is a member of (not revoked), with role and status. */
  workspacesOf(userId: string): Promise<MyWorkspace[]>;
  /** The user's tokens that are not revoked, newest first. */
  tokensOf(userId: string): Promise<TokenRecord[]>;
  insertToken(userId: string, name: string, hash: Buffer): Promise<TokenRecord>;
  /** Revokes one of the user's live tokens; false when they have no such live token. */
  revokeToken(userId: string, tokenId: string, at: Date): Promise<boolean>;
  /**
   * Revokes every live token of the user and writes the audit entry, in one transaction;
   * how many were revoked.
   */
  revokeAllTokens(
    userId: string,
    at: Date,
    audit: { workspaceId: string; actorUserId: string },
  ): Promise<number>;
}

export interface MyWorkspace {
  id: string;
  name: string;
  organizationId: string;
  /** A built-in role key or a custom role's id. */
  role: string;
  status: Exclude<MembershipStatus, 'revoked'>;
}

export interface TokenRecord {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}
