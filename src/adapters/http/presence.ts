/**
 * "Last seen" for the member list: the HTTP adapter tells it each time a member makes a
 * request, after they were identified (`requireMember`). It follows use without a write per
 * request: at most one write per `writeEveryMs` per member and process (several API processes
 * each write at most that often: still cheap). One is made per server, in main.ts.
 */
export interface Presence {
  seen(workspaceId: string, userId: string): Promise<void>;
}

export interface PresenceOptions {
  /** Stores the time the member was last seen (`recordLastSeen`). */
  record(workspaceId: string, userId: string, at: Date): Promise<void>;
  now(): Date;
  /** Default one minute. */
  writeEveryMs?: number;
  /** Members remembered before the memory starts over (a bound, not a cache policy). */
  maxTracked?: number;
}

export function createPresence(options: PresenceOptions): Presence {
  const writeEveryMs = options.writeEveryMs ?? 60_000;
  const maxTracked = options.maxTracked ?? 100_000;
  const lastWrite = new Map<string, number>();
  return {
    async seen(workspaceId, userId) {
      const key = `${workspaceId}:${userId}`;
      const at = options.now();
      if (at.getTime() - (lastWrite.get(key) ?? -Infinity) < writeEveryMs) return;
      if (lastWrite.size >= maxTracked) lastWrite.clear();
      lastWrite.set(key, at.getTime());
      await options.record(workspaceId, userId, at);
    },
  };
}
