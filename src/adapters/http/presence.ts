/**
 * "Last seen" for the member list: the HTTP adapter tells it each time a member makes a
 * request, after they were identified (`requireMember`). It follows use without a write per
 * request: at most one write per `writeEveryMs` per member and process (several API processes
 * each write at most that often: still cheap). One is made per server, in main.ts.
 */
export interface Presence {
  seen(workspaceId: string, userId: string): Promise<void>;
  /** A token (by its hash) authenticated a request: its "last used", written as sparingly. */
  tokenUsed(tokenHash: Buffer): Promise<void>;
}

export interface PresenceOptions {
  /** Stores the time the member was last seen (`recordLastSeen`). */
  record(workspaceId: string, userId: string, at: Date): Promise<void>;
  /** Stores the time a token was last used (`recordTokenUse`); absent: not recorded. */
  recordToken?(tokenHash: Buffer, at: Date): Promise<void>;
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
  /** The time to write, or undefined when `key` was written within `writeEveryMs`. */
  const due = (key: string): Date | undefined => {
    const at = options.now();
    if (at.getTime() - (lastWrite.get(key) ?? -Infinity) < writeEveryMs) return undefined;
    if (lastWrite.size >= maxTracked) lastWrite.clear();
    lastWrite.set(key, at.getTime());
    return at;
  };
  return {
    async seen(workspaceId, userId) {
      const at = due(`${workspaceId}:${userId}`);
      if (at) await options.record(workspaceId, userId, at);
    },
    async tokenUsed(tokenHash) {
      if (!options.recordToken) return;
      const at = due(`token:${tokenHash.toString('hex')}`);
      if (at) await options.recordToken(tokenHash, at);
    },
  };
}
