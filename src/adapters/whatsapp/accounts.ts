import type { EventPublisher } from '../../core/events/events.js';
import type { Database } from '../db/database.js';
import type { InboundMessage } from '../../core/chats/inbound-message.js';
import { AccountRuntime, type AccountsLog, type RunningAccount } from './account-runtime.js';
import { listRunnableAccounts, type RunnableAccount } from './account-store.js';
import type { Leases } from './lease.js';
import { runWhileLeased } from './run-leased.js';
import type { WhatsappChannelOptions } from './whatsapp-channel.js';

/**
 * Every WhatsApp account of the deployment, run on exactly one node at a time. Each node
 * keeps a `runWhileLeased` loop per account that should run (any status but logged_out and
 * disabled): whichever node takes the account's lease (`whatsapp:<channelId>`) runs its
 * client; the others wait for the lease and take over when the holder stops or dies. The
 * list of accounts is re-read every `reconcileEveryMs` (accounts created through another
 * node) and at once when this node creates one (`accountChanged`). An account that is logged
 * out stops everywhere; its queued replies are given up (`companion.abandon`).
 */
export interface AccountCompanion {
  /** Starts beside an account once this node runs it (the sender of its replies). */
  start(account: RunningAccount): Promise<{ stop(): Promise<void> }>;
  /** The account stopped for good (logged out, disabled, deleted): nothing will be sent. */
  abandon?(channelId: string): Promise<void>;
}

export interface WhatsappAccountsOptions {
  db: Database;
  leases: Leases;
  /** Resolves once the message is stored (or safely queued to be). */
  ingest: { submit(message: InboundMessage): Promise<unknown> };
  events: EventPublisher;
  /** Production: `whatsappClientFactory` (client.ts); tests: a fake client. */
  createClient: WhatsappChannelOptions['createClient'];
  lookupContact?: WhatsappChannelOptions['lookupContact'];
  companion?: AccountCompanion;
  log: AccountsLog;
  reconcileEveryMs?: number;
  /** Pause between tries to take a lease (and after a failed start). */
  leaseRetryMs?: number;
  /** Passed to WhatsappChannel: delay before a disconnected client is started again. */
  restartDelayMs?: number | null;
}

interface Loop {
  controller: AbortController;
  done: Promise<void>;
  retiring?: Promise<void>;
}

export class WhatsappAccounts {
  private readonly loops = new Map<string, Loop>();
  /** Accounts this node runs now (holds the lease and started the client). */
  private readonly held = new Map<string, AccountRuntime>();
  private readonly lastError = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: WhatsappAccountsOptions) {}

  /** Starts the periodic reconcile (and runs one now). */
  start(): void {
    this.timer = setInterval(() => void this.reconcile(), this.options.reconcileEveryMs ?? 30_000);
    this.timer.unref();
    void this.reconcile();
  }

  /** An account was created or changed through this node: look now, not at the next tick. */
  accountChanged(_channelId: string): void {
    void this.reconcile();
  }

  /** Whether this node runs the account now. */
  isRunning(channelId: string): boolean {
    return this.held.has(channelId);
  }

  /** Resolves after a pass over the accounts that started after this call. Never rejects. */
  reconcile(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.queued ??= (async () => {
      await this.current;
      this.queued = undefined;
      this.current = this.pass();
      await this.current;
    })();
    return this.queued;
  }

  /** Stops every account this node runs (their sessions stay) and every wait for a lease. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.queued;
    await this.current;
    for (const loop of this.loops.values()) loop.controller.abort();
    await Promise.all([...this.loops.values()].map((loop) => loop.done));
    this.loops.clear();
  }

  private async pass(): Promise<void> {
    if (this.closed) return;
    let accounts: RunnableAccount[];
    try {
      accounts = await listRunnableAccounts(this.options.db);
    } catch (error) {
      this.options.log.warn({ err: error }, 'WhatsApp accounts: could not read the accounts');
      return;
    }
    if (this.closed) return;
    const wanted = new Set(accounts.map((a) => a.channelId));
    for (const channelId of this.loops.keys())
      if (!wanted.has(channelId)) void this.retire(channelId);
    for (const account of accounts) if (!this.loops.has(account.channelId)) this.startLoop(account);
  }

  private startLoop(account: RunnableAccount): void {
    const { channelId } = account;
    const controller = new AbortController();
    const done = runWhileLeased({
      leases: this.options.leases,
      key: `whatsapp:${channelId}`,
      signal: controller.signal,
      retryMs: this.options.leaseRetryMs ?? 5_000,
      start: (lost) => this.run(account, lost),
      onError: (error) => this.reportError(channelId, error),
      onHolding: (holding) =>
        this.options.log.info(
          { channelId },
          `WhatsApp account ${channelId} ${holding ? 'runs on this node' : 'stopped on this node'}`,
        ),
    });
    this.loops.set(channelId, { controller, done });
  }

  private async run(
    account: RunnableAccount,
    lost: AbortSignal,
  ): Promise<{ stop(): Promise<void> }> {
    const { channelId } = account;
    const runtime = new AccountRuntime(this.options, account, lost, () =>
      // Not awaited: this is called from the client's own event, which stopping waits for.
      setImmediate(() => void this.retire(channelId)),
    );
    await runtime.start();
    let companion: { stop(): Promise<void> } | undefined;
    try {
      companion = await this.options.companion?.start(runtime);
    } catch (error) {
      await runtime.stop();
      throw error;
    }
    this.held.set(channelId, runtime);
    this.lastError.delete(channelId);
    return {
      stop: async () => {
        this.held.delete(channelId);
        await companion?.stop().catch((error: unknown) => this.reportError(channelId, error));
        await runtime.stop();
      },
    };
  }

  /** Stops an account for good on this node (logged out, disabled, deleted). */
  private retire(channelId: string): Promise<void> {
    const loop = this.loops.get(channelId);
    if (!loop) return Promise.resolve();
    loop.retiring ??= (async () => {
      loop.controller.abort();
      await loop.done;
      if (this.loops.get(channelId) === loop) this.loops.delete(channelId);
      this.lastError.delete(channelId);
      await this.options.companion
        ?.abandon?.(channelId)
        .catch((error: unknown) => this.reportError(channelId, error));
      this.options.log.info({ channelId }, `WhatsApp account ${channelId} stopped for good`);
      // Reconnected while it was stopping: start it again now, not at the next periodic look.
      void this.reconcile();
    })();
    return loop.retiring;
  }

  /** The same failure again and again (no browser, lease store down) is logged once at warn. */
  private reportError(channelId: string, error: unknown): void {
    const cause = error instanceof Error ? error.cause : undefined;
    const text =
      (error instanceof Error ? error.message : String(error)) +
      (cause instanceof Error ? ` (${cause.message})` : '');
    const repeated = this.lastError.get(channelId) === text;
    this.lastError.set(channelId, text);
    const details = { channelId, err: error };
    const message = `WhatsApp account ${channelId}: ${text}`;
    if (repeated) this.options.log.debug(details, message);
    else this.options.log.warn(details, message);
  }
}
