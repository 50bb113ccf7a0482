import type { MembershipStatus } from '../access/index.js';

/**
 * The store ports of the chat actions that are neither a reply nor an assignment: adding a
 * participant and rating a chat. Whatever locks rows is reachable only through a
 * `ParticipantsTx`, which exists only inside `transaction`.
 */
export interface ChatActionsStore {
  /** Runs `work` in one transaction: everything it wrote commits together, or nothing does. */
  transaction<T>(work: (tx: ParticipantsTx) => Promise<T>): Promise<T>;
  insertRating(rating: {
    workspaceId: string;
    chatId: string;
    userId: string;
    score: number;
    comment: string | null;
  }): Promise<RatingRecord>;
}

export interface RatingRecord {
  id: string;
  score: number;
  comment: string | null;
}

/** The transaction-scoped half of `ChatActionsStore`. */
export interface ParticipantsTx {
  /**
   * The member's status, locked (shared) until the transaction ends: a revoke or suspension
   * committing meanwhile waits, or is seen. Undefined: not a member of the workspace.
   */
  lockMemberStatus(workspaceId: string, userId: string): Promise<MembershipStatus | undefined>;
  /** Idempotent: a participant already in the chat stays, added by whoever added them first. */
  addParticipant(participant: {
    workspaceId: string;
    chatId: string;
    userId: string;
    addedBy: string;
  }): Promise<void>;
}
