import { runReassignJob, type ReassignJobInput, type ReassignStore } from './reassign-chats.js';

/**
 * The background half of revoking a member (PRODUCT.md §2), run by the `member.revoke` job
 * that `start-revoke.ts` (the request-time half) recorded: their access ended then; here every
 * chat assigned to them goes to the chosen user (who `start-revoke` checked can be assigned
 * chats, and the store checks again) or becomes unassigned, the channel accounts they own pass to HQ or the chosen user,
 * and their team memberships, role bindings, participations and CRM grants go. The
 * organization membership stays. Resumable and safe to run twice.
 */
export interface RevokeStore extends ReassignStore {
  /** Hands over accounts and removes the member's remaining ties, in one transaction. */
  handOver(input: ReassignJobInput): Promise<{ channels: number }>;
  finish(jobId: string, result: Record<string, unknown>): Promise<void>;
}

export async function revokeMember(
  store: RevokeStore,
  input: ReassignJobInput,
  options: Parameters<typeof runReassignJob>[2] = {},
): Promise<Record<string, number>> {
  const chats = await runReassignJob(store, input, options);
  const { channels } = await store.handOver(input);
  const result = { ...chats, channels };
  await store.finish(input.jobId, result);
  return result;
}
