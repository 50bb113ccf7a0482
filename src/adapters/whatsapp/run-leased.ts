import { acquireLease, type Leases } from './lease.js';

/**
 * Keeps one account running on this node only while the node holds the account's lease:
 * wait for the lease, start, stop the moment the lease is lost, wait for it again. This is
 * how "exactly one node at a time, another takes over when the holder dies" is put together
 * from lease.ts and a runner (WhatsappChannel). Resolves once `signal` aborts and the runner
 * has stopped and the lease is released.
 */
export interface RunWhileLeasedOptions {
  leases: Leases;
  /** The account's lease key, e.g. `whatsapp:<channelId>`. */
  key: string;
  signal: AbortSignal;
  /** Starts the work; `lost` aborts when the lease is lost (the runner is stopped then anyway). */
  start: (lost: AbortSignal) => Promise<{ stop(): Promise<void> }>;
  /** Pause between tries to take the lease, and after losing it. */
  retryMs?: number;
  onError?: (error: unknown) => void;
  /** Called with true when this node starts the account, false when it stops it. */
  onHolding?: (holding: boolean) => void;
}

export async function runWhileLeased(options: RunWhileLeasedOptions): Promise<void> {
  const { leases, key, signal } = options;
  const retryMs = options.retryMs ?? 5_000;
  const report = (error: unknown) => {
    try {
      options.onError?.(error);
    } catch {
      // nobody left to tell
    }
  };
  while (!signal.aborted) {
    let lease;
    try {
      lease = await acquireLease(leases, key, { retryMs, signal });
    } catch (error) {
      if (signal.aborted) break;
      report(error); // the lease store is unreachable: try again later
      await pause(retryMs, signal);
      continue;
    }
    let running: { stop(): Promise<void> } | undefined;
    try {
      running = await options.start(lease.lost);
      options.onHolding?.(true);
      await untilAborted(AbortSignal.any([lease.lost, signal]));
    } catch (error) {
      report(error);
    } finally {
      if (running) {
        await running.stop().catch(report);
        options.onHolding?.(false);
      }
      await lease.release().catch(report);
    }
    if (!signal.aborted) await pause(retryMs, signal);
  }
}

const untilAborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });

const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
