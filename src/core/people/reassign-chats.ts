import { isAssignable, type Principal } from '../access/index.js';

/** A durable job that moves a member's chats in batches, resumable at any point. */
export interface ReassignJobInput {
  jobId: string;
  workspaceId: string;
  fromUserId: string;
  toUserId: string | null;
}

export interface ReassignStore {
  /** Counts what is left and marks the job active (idempotent). */
  start(jobId: string): Promise<{ state: string; total: number }>;
  /** The heir's principal, freshly loaded; undefined when there is none or they are no member. */
  heir(input: ReassignJobInput): Promise<Principal | undefined>;
  /**
   * In one transaction: takes up to `walk.size` chats of the walk's lane still assigned to
   * `fromUserId` after `walk.after` (from the start when null), in the store's order, and moves
   * each where PRODUCT.md §2 says — every one to the heir (an assignable heir may be assigned
   * any chat, §3.2) while the heir's membership is still active, otherwise unassigned (HQ's
   * queue); all unassigned without an heir. Only
   * chats still the member's at commit move (an assignment made meanwhile wins); they are
   * counted into the job's progress with one `chat.assignee_changed` event each. `taken`
   * counts the chats looked at.
   */
  moveNext(
    input: ReassignJobInput,
    walk: Walk,
    heir: Principal | undefined,
  ): Promise<Batch<{ taken: number; toHeir: number; unassigned: number }>>;
}

/**
 * Where a batch starts: after a cursor of the previous batch (or at the start), within one
 * lane. Lanes split a member's chats into `lanes` disjoint parts walked side by side, so a
 * big revoke uses more than one database core.
 */
export interface Walk {
  after: string | null;
  size: number;
  lane: number;
  lanes: number;
}

/** One batch and where the next one starts. */
export interface Batch<T> {
  items: T;
  after: string | null;
}

/**
 * Moves every chat still assigned to `fromUserId`, batch by batch, until none is left. No
 * checkpoint is stored: every chat a batch takes leaves the member (to the heir or the queue),
 * so whoever runs the job — this worker, or the one that takes over after a crash — only has
 * to look at what is still theirs. Batches walk the store's order with a cursor (so none
 * re-reads what earlier ones moved), and the walk ends with a pass from the start that finds
 * nothing: a chat whose place in that order changed meanwhile is not missed. A chat is only
 * moved if it is still assigned to the member when its batch commits, so assignments made
 * meanwhile win.
 */
export async function runReassignJob(
  store: ReassignStore,
  input: ReassignJobInput,
  options: {
    batchSize?: number;
    /**
     * Lanes walked side by side (default 1). On a 2-core database a second lane gains little
     * or nothing in `npm run bench` and takes the core agents' list queries need; more lanes
     * may pay off on a database with cores to spare.
     */
    lanes?: number;
    afterBatch?: (done: number) => Promise<void> | void;
    /** Pause between batches, so a huge revoke does not starve the list queries. */
    pauseMs?: number;
  } = {},
): Promise<{ moved: number; toHeir: number; unassigned: number }> {
  const started = await store.start(input.jobId);
  if (started.state === 'completed') return { moved: 0, toHeir: 0, unassigned: 0 };
  const size = options.batchSize ?? 5000;
  const lanes = options.lanes ?? 1;
  // An heir who can no longer be assigned chats (suspended, revoked, chat.view none since the
  // action was asked for) gets nothing: every chat goes unassigned.
  const candidate = await store.heir(input);
  const heir = candidate && isAssignable(candidate) ? candidate : undefined;
  const moved = { toHeir: 0, unassigned: 0 };

  /** One batch of the walk; returns how many chats it looked at and where it ended. */
  const step = async (walk: Walk): Promise<Batch<number>> => {
    const next = await store.moveNext(input, walk, heir);
    // Chats someone else reassigned meanwhile are not counted: they left the member anyway.
    moved.toHeir += next.items.toHeir;
    moved.unassigned += next.items.unassigned;
    return { items: next.items.taken, after: next.after };
  };

  const walkLane = async (lane: number) => {
    let after: string | null = null;
    for (;;) {
      const batch = await step({ after, size, lane, lanes });
      if (batch.items === 0) {
        if (after === null) return;
        after = null; // the closing pass from the start
        continue;
      }
      // A short batch was the end of the walk: go straight to the closing pass.
      after = batch.items < size ? null : batch.after;
      await options.afterBatch?.(moved.toHeir + moved.unassigned);
      if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  };

  await Promise.all(Array.from({ length: lanes }, (_, lane) => walkLane(lane)));
  return { moved: moved.toHeir + moved.unassigned, ...moved };
}
