import { allows, type ChatFacts, type Principal } from '../access/index.js';

/**
 * Where a leaving (or suspended) member's chats go (PRODUCT.md §2): to the chosen heir only
 * where the heir may see the chat, otherwise unassigned (HQ's queue). Never to anyone else,
 * and never left with the member.
 */
export function planReassignment(
  heir: Principal | undefined,
  chats: readonly ChatFacts[],
): { toHeir: string[]; unassign: string[] } {
  const toHeir: string[] = [];
  const unassign: string[] = [];
  for (const chat of chats) {
    if (heir && heir.status === 'active' && allows(heir, 'chat.view', chat)) toHeir.push(chat.id);
    else unassign.push(chat.id);
  }
  return { toHeir, unassign };
}

/** A durable job that moves chats in keyset batches, resumable from its checkpoint. */
export interface ReassignJobInput {
  jobId: string;
  workspaceId: string;
  fromUserId: string;
  toUserId: string | null;
}

export interface ReassignStore {
  /** Counts what is left and marks the job active (idempotent). */
  start(jobId: string): Promise<{ state: string; total: number; checkpoint: string | null }>;
  /** Ids of chats still assigned to `fromUserId` after the checkpoint, in id order. */
  nextIds(input: ReassignJobInput, after: string | null, size: number): Promise<string[]>;
  /** Their facts, for deciding what the heir may see. */
  facts(input: ReassignJobInput, ids: readonly string[]): Promise<ChatFacts[]>;
  /** The heir's principal, freshly loaded (undefined when none or not active). */
  heir(input: ReassignJobInput): Promise<Principal | undefined>;
  /**
   * In one transaction: moves the planned chats (only those still assigned to
   * `fromUserId`), advances the checkpoint and progress, and records the events.
   */
  commitBatch(
    input: ReassignJobInput,
    plan: { toHeir: string[]; unassign: string[] },
    checkpoint: string,
  ): Promise<number>;
}

/**
 * Moves every chat still assigned to `fromUserId`, batch by batch. Safe to run twice and to
 * resume after a crash: each batch commits with its checkpoint, and a chat is only moved if it
 * is still assigned to the member when its batch commits.
 */
export async function runReassignJob(
  store: ReassignStore,
  input: ReassignJobInput,
  options: {
    batchSize?: number;
    afterBatch?: (done: number) => Promise<void> | void;
    /** Pause between batches, so a huge revoke does not starve the list queries. */
    pauseMs?: number;
  } = {},
): Promise<{ moved: number; toHeir: number; unassigned: number }> {
  const started = await store.start(input.jobId);
  if (started.state === 'completed') return { moved: 0, toHeir: 0, unassigned: 0 };
  const heir = await store.heir(input);
  let checkpoint = started.checkpoint;
  let toHeir = 0;
  let unassigned = 0;
  for (;;) {
    const ids = await store.nextIds(input, checkpoint, options.batchSize ?? 1000);
    const last = ids.at(-1);
    if (!last) break;
    // Without an heir every chat becomes unassigned: no need to look at them.
    const plan = heir
      ? planReassignment(heir, await store.facts(input, ids))
      : { toHeir: [], unassign: ids };
    await store.commitBatch(input, plan, last);
    toHeir += plan.toHeir.length;
    unassigned += plan.unassign.length;
    checkpoint = last;
    await options.afterBatch?.(toHeir + unassigned);
    if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
  }
  return { moved: toHeir + unassigned, toHeir, unassigned };
}
