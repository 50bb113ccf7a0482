import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import pg from 'pg';

/**
 * "Each WhatsApp account runs on exactly one node at a time" (PRODUCT.md §6): before a node
 * starts an account's client it takes that account's lease, and it stops the client the
 * moment `lost` fires. Two implementations:
 *
 * - PostgreSQL: a session advisory lock held on one dedicated connection per node. If the
 *   process dies its connection dies and the server frees the lock at once; a node cut off
 *   from the server notices through a heartbeat and gives up its work.
 * - Redis: `SET key token NX PX ttl`, renewed while held and released only by its holder
 *   (compare the token). A holder that dies or stops renewing loses the key after `ttl`.
 */
export interface LeaseHandle {
  readonly key: string;
  /** Aborted when the lease is lost (connection died, renewal failed, closed): stop at once. */
  readonly lost: AbortSignal;
  /** Gives the lease up. Safe to call twice; never releases another holder's lease. */
  release(): Promise<void>;
}

export interface Leases {
  readonly kind: 'postgres' | 'redis';
  /** Takes the lease if nobody holds it; null while another holder (or this node) has it. */
  tryAcquire(key: string): Promise<LeaseHandle | null>;
  /** Releases every lease of this node and closes what the implementation opened. */
  close(): Promise<void>;
}

export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

/** Waits until the lease is ours, trying every `retryMs`; rejects when `signal` aborts. */
export async function acquireLease(
  leases: Leases,
  key: string,
  options: { retryMs?: number; signal?: AbortSignal } = {},
): Promise<LeaseHandle> {
  for (;;) {
    options.signal?.throwIfAborted();
    const handle = await leases.tryAcquire(key);
    if (handle) return handle;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, options.retryMs ?? 5_000);
      function done() {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', done);
        resolve();
      }
      options.signal?.addEventListener('abort', done, { once: true });
    });
  }
}

class Held implements LeaseHandle {
  private readonly controller = new AbortController();
  readonly lost = this.controller.signal;
  constructor(
    readonly key: string,
    private readonly onRelease: (held: Held) => Promise<void>,
  ) {}
  lose(reason: string): void {
    if (!this.lost.aborted)
      this.controller.abort(new LeaseLostError(`lease ${this.key}: ${reason}`));
  }
  private released = false;
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.lose('released');
    await this.onRelease(this);
  }
}

export interface PostgresLeasesOptions {
  /** A direct connection (a transaction-pooling proxy would break session locks). */
  connectionString: string;
  applicationName?: string;
  /** How often the connection is checked; a failed check loses every lease. */
  heartbeatMs?: number;
}

/** A signed 64-bit advisory lock id for a key (two keys colliding is a 2⁻⁶⁴ chance). */
export const advisoryLockId = (key: string): string =>
  createHash('sha256').update(`switchboard:lease:${key}`).digest().readBigInt64BE(0).toString();

export function createPostgresLeases(options: PostgresLeasesOptions): Leases {
  const heartbeatMs = options.heartbeatMs ?? 10_000;
  const held = new Map<string, Held>();
  const busy = new Set<string>();
  let client: pg.Client | undefined;
  let connecting: Promise<pg.Client> | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let closed = false;

  /** Forgets the connection and every lease on it; ending it frees the locks on the server. */
  function dropConnection(reason: string, which: pg.Client | undefined = client): Promise<void> {
    if (!which || which !== client) return Promise.resolve();
    client = undefined;
    clearInterval(heartbeat);
    for (const lease of held.values()) lease.lose(reason);
    held.clear();
    return which.end().catch(() => undefined);
  }

  async function connection(): Promise<pg.Client> {
    if (client) return client;
    connecting ??= (async () => {
      const c = new pg.Client({
        connectionString: options.connectionString,
        application_name: options.applicationName ?? 'switchboard-lease',
        keepAlive: true,
        query_timeout: Math.max(heartbeatMs, 5_000),
        // The server notices a vanished node within ~25 s and frees its locks.
        options: '-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3',
      });
      c.on('error', (error) => void dropConnection(`connection error: ${error.message}`, c));
      c.on('end', () => void dropConnection('connection ended', c));
      await c.connect();
      client = c;
      heartbeat = setInterval(() => {
        c.query('select 1').catch(
          (error: Error) => void dropConnection(`heartbeat failed: ${error.message}`, c),
        );
      }, heartbeatMs);
      heartbeat.unref();
      return c;
    })().finally(() => (connecting = undefined));
    return connecting;
  }

  async function unlock(lease: Held): Promise<void> {
    if (held.get(lease.key) !== lease) return;
    held.delete(lease.key);
    const c = client;
    if (!c) return;
    try {
      await c.query('select pg_advisory_unlock($1::bigint)', [advisoryLockId(lease.key)]);
    } catch (error) {
      // Unsure whether the lock is gone: ending the connection is what surely frees it.
      await dropConnection(`unlock failed: ${(error as Error).message}`, c);
    }
  }

  return {
    kind: 'postgres',
    async tryAcquire(key) {
      if (closed) throw new Error('leases are closed');
      // Session locks are re-entrant; this node must not take its own lease twice.
      if (held.has(key) || busy.has(key)) return null;
      busy.add(key);
      try {
        const c = await connection();
        const { rows } = await c.query<{ ok: boolean }>(
          'select pg_try_advisory_lock($1::bigint) as ok',
          [advisoryLockId(key)],
        );
        if (!rows[0]?.ok) return null;
        if (client !== c) return null; // the connection died meanwhile: the lock died with it
        const lease = new Held(key, unlock);
        held.set(key, lease);
        return lease;
      } finally {
        busy.delete(key);
      }
    },
    async close() {
      closed = true;
      await connecting?.catch(() => undefined);
      await dropConnection('leases closed');
    },
  };
}

export interface RedisLeasesOptions {
  /** The caller's connection; `close()` leaves it open. */
  redis: Redis;
  ttlMs?: number;
  /** Defaults to a third of the TTL. */
  renewEveryMs?: number;
  prefix?: string;
}

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export function createRedisLeases(options: RedisLeasesOptions): Leases {
  const { redis } = options;
  const ttlMs = options.ttlMs ?? 30_000;
  const renewEveryMs = options.renewEveryMs ?? Math.floor(ttlMs / 3);
  const prefix = options.prefix ?? 'switchboard:lease:';
  // Give up a little before the key can expire, so two holders never overlap.
  const margin = Math.min(1_000, Math.floor(ttlMs / 10));
  const held = new Map<string, { lease: Held; stop: () => void }>();
  let closed = false;

  async function release(lease: Held, token: string): Promise<void> {
    const entry = held.get(lease.key);
    if (entry?.lease === lease) {
      entry.stop();
      held.delete(lease.key);
    }
    // Compare-and-delete: a key that expired and was taken by another holder stays theirs.
    await redis.eval(RELEASE, 1, prefix + lease.key, token).catch(() => undefined);
  }

  return {
    kind: 'redis',
    async tryAcquire(key) {
      if (closed) throw new Error('leases are closed');
      if (held.has(key)) return null;
      const token = `${process.pid}:${randomBytes(16).toString('hex')}`;
      const sentAt = Date.now();
      const ok = await redis.set(prefix + key, token, 'PX', ttlMs, 'NX');
      if (ok !== 'OK') return null;
      const lease = new Held(key, (l) => release(l, token));
      let expiry: NodeJS.Timeout;
      const armExpiry = (validFrom: number) => {
        clearTimeout(expiry);
        expiry = setTimeout(
          () => lease.lose('not renewed in time'),
          Math.max(0, validFrom + ttlMs - margin - Date.now()),
        );
        expiry.unref();
      };
      armExpiry(sentAt);
      let renewing = false;
      const renew = setInterval(() => {
        if (renewing || lease.lost.aborted) return;
        renewing = true;
        const at = Date.now();
        redis
          .eval(RENEW, 1, prefix + key, token, String(ttlMs))
          .then((result) => {
            if (lease.lost.aborted) return;
            if (result === 1) armExpiry(at);
            else lease.lose('taken over by another holder');
          })
          .catch(() => undefined) // the expiry timer decides when a failing Redis costs the lease
          .finally(() => (renewing = false));
      }, renewEveryMs);
      renew.unref();
      const stop = () => {
        clearInterval(renew);
        clearTimeout(expiry);
      };
      lease.lost.addEventListener('abort', () => {
        stop();
        if (held.get(key)?.lease === lease) held.delete(key);
      });
      held.set(key, { lease, stop });
      return lease;
    },
    async close() {
      closed = true;
      await Promise.all([...held.values()].map(({ lease }) => lease.release()));
    },
  };
}
