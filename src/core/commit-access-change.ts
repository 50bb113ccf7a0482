import type { EventPublisher } from './events/events.js';

/**
 * The one way an access change is committed, for every store that audits (people, teams,
 * roles): `work` updates the rows, its audit entry is written in the same transaction, and
 * only after the commit `access.changed` tells every process (event streams re-derive
 * principals, caches drop the workspace's facts). A refusal thrown by `work` writes and
 * publishes nothing.
 */
export interface AccessChangeDeps<Tx extends { audit(entry: Entry): Promise<void> }, Entry> {
  store: { transaction<R>(work: (tx: Tx) => Promise<R>): Promise<R> };
  events: EventPublisher;
}

export async function commitAccessChange<
  Tx extends { audit(entry: Entry): Promise<void> },
  Entry,
  T,
>(
  deps: AccessChangeDeps<Tx, Entry>,
  workspaceId: string,
  work: (tx: Tx) => Promise<{ result: T; audit: Entry }>,
): Promise<T> {
  const result = await deps.store.transaction(async (tx) => {
    const done = await work(tx);
    await tx.audit(done.audit);
    return done.result;
  });
  await deps.events.publish({ type: 'access.changed', workspaceId });
  return result;
}
