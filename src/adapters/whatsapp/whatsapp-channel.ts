import type { Message } from 'whatsapp-web.js';
import { AppError } from '../../core/errors.js';
import {
  toAckRecord,
  toEditRecord,
  toRevokeRecord,
  type EditRecord,
  type OutboundStatus,
  type RevokeRecord,
} from './acks.js';
import { isConversationJid, parseJid } from './jid.js';
import { shouldIngest, type IngestDecision, type WhatsappSettings } from './settings.js';
import {
  toInbound,
  type AccountRef,
  type ContactHint,
  type SkipReason,
  type WhatsappInbound,
} from './to-inbound.js';

/**
 * Runs one WhatsApp account on this node: one whatsapp-web.js client, its events turned into
 * callbacks, in the order they happened (an edit never overtakes its message). A callback
 * that throws is reported through `onError` and the next event goes on; nothing here crashes
 * the process. Run it only while holding the account's lease (lease.ts).
 */
export type WhatsappStatus = 'qr_pending' | 'connected' | 'disconnected' | 'logged_out';

/** The part of whatsapp-web.js' `Client` this runner uses; tests pass an EventEmitter fake. */
export interface WhatsappClientLike {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
  initialize(): Promise<void>;
  sendMessage(chatId: string, content: string): Promise<Message>;
  destroy(): Promise<void>;
  logout(): Promise<void>;
}

export type WhatsappClientFactory = (account: AccountRef) => WhatsappClientLike;

export interface SkippedMessage {
  providerMessageId: string | null;
  outcome: 'rejected' | 'ignored';
  reason: SkipReason | Extract<IngestDecision, { ingest: false }>['reason'];
}

type MaybePromise = void | Promise<void>;

export interface WhatsappChannelCallbacks {
  onQr?(qr: string): MaybePromise;
  onStatus?(status: WhatsappStatus, detail: string | null): MaybePromise;
  onInbound(message: WhatsappInbound): MaybePromise;
  onAck?(providerMessageId: string, status: OutboundStatus): MaybePromise;
  onRevoke?(record: RevokeRecord): MaybePromise;
  onEdit?(record: EditRecord): MaybePromise;
  /** Messages not ingested: malformed (`rejected`) or filtered out (`ignored`). */
  onSkipped?(skipped: SkippedMessage): MaybePromise;
  onError?(error: unknown, context: { event: string }): MaybePromise;
}

export interface WhatsappChannelOptions {
  account: AccountRef;
  createClient: WhatsappClientFactory;
  /** Read for every message, so changed settings apply at once. If it throws, nothing is ingested. */
  settings: () => WhatsappSettings | Promise<WhatsappSettings>;
  /** The contact of a direct chat from someone else (production: `lookupWhatsappContact`), e.g. a `@lid`'s phone. */
  lookupContact?: (message: Message) => Promise<ContactHint | undefined>;
  callbacks: WhatsappChannelCallbacks;
  /** After a disconnect other than a logout, a new client starts after this delay (doubling on failure); null: stay down. */
  restartDelayMs?: number | null;
  now?: () => Date;
}

const MAX_TEXT = 64 * 1024;
const RECENT_SENDS = 1_000;
const MAX_RESTART_DELAY_MS = 5 * 60_000;

export class WhatsappChannel {
  private client: WhatsappClientLike | undefined;
  private listeners: [string, (...args: unknown[]) => void][] = [];
  private queue: Promise<void> = Promise.resolve();
  private currentStatus: WhatsappStatus = 'disconnected';
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartDelay: number | null;
  private readonly inflightSends = new Set<Promise<unknown>>();
  private readonly recentSends = new Set<string>();

  constructor(private readonly options: WhatsappChannelOptions) {
    this.restartDelay = this.initialRestartDelay();
  }

  get status(): WhatsappStatus {
    return this.currentStatus;
  }

  /** Starts the client; resolves once it runs (waiting for a QR scan or restoring a session). */
  async start(): Promise<void> {
    if (this.stopped) throw new AppError('conflict', 'this WhatsApp runner was stopped');
    if (this.client) return;
    try {
      await this.launch();
    } catch (error) {
      this.enqueue('start', () => this.setStatus('disconnected', 'failed to start'));
      await this.idle();
      throw new AppError('unavailable', 'The WhatsApp client did not start.', { cause: error });
    }
  }

  /** Sends a text; returns WhatsApp's message id (`_serialized`). */
  async send(externalChatId: string, text: string): Promise<string> {
    const client = this.client;
    if (this.stopped || !client || this.currentStatus !== 'connected')
      throw new AppError('unavailable', 'This WhatsApp account is not connected.');
    const chat = parseJid(externalChatId);
    if (!chat || !isConversationJid(chat))
      throw new AppError('invalid_input', 'Not a WhatsApp chat id.', {
        details: [{ path: 'externalChatId', message: 'must be a WhatsApp chat id' }],
      });
    if (text.trim() === '' || text.length > MAX_TEXT)
      throw new AppError('invalid_input', 'The text must be 1 to 65536 characters.', {
        details: [{ path: 'text', message: 'must be 1 to 65536 characters' }],
      });
    const sending = client.sendMessage(chat.serialized, text);
    this.inflightSends.add(sending);
    let sent: Message;
    try {
      sent = await sending;
    } catch (error) {
      throw new AppError('unavailable', 'WhatsApp did not accept the message.', { cause: error });
    } finally {
      this.inflightSends.delete(sending);
    }
    const id: unknown = sent?.id?._serialized;
    if (typeof id !== 'string' || id === '')
      throw new AppError('internal', 'WhatsApp returned a sent message without an id.');
    this.recentSends.add(id);
    if (this.recentSends.size > RECENT_SENDS)
      this.recentSends.delete(this.recentSends.values().next().value as string);
    return id;
  }

  /** Stops the client and keeps the session (shutdown, lost lease). Reports no status. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.closeClient();
    await this.idle();
    await this.closeClient(); // a restart under way may have started one meanwhile
  }

  /** Logs the account out of WhatsApp and forgets the session. */
  async logout(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    const client = this.detach();
    try {
      await client?.logout();
    } catch (error) {
      throw new AppError('unavailable', 'WhatsApp logout failed.', { cause: error });
    } finally {
      await client?.destroy().catch(() => undefined);
    }
    this.enqueue('logout', () => this.setStatus('logged_out', 'logout'));
    await this.idle();
  }

  /** Resolves when every event received so far has been handled. */
  idle(): Promise<void> {
    return this.queue;
  }

  private async launch(): Promise<void> {
    const client = this.options.createClient(this.options.account);
    this.attach(client);
    try {
      await client.initialize();
    } catch (error) {
      if (this.client === client) this.detach();
      await client.destroy().catch(() => undefined);
      throw error;
    }
  }

  private attach(client: WhatsappClientLike): void {
    this.client = client;
    const on = (event: string, handler: (...args: unknown[]) => Promise<void> | void) => {
      const listener = (...args: unknown[]) => this.enqueue(event, () => handler(...args));
      client.on(event, listener);
      this.listeners.push([event, listener]);
    };
    on('qr', async (qr) => {
      await this.setStatus('qr_pending', null);
      if (typeof qr === 'string') await this.options.callbacks.onQr?.(qr);
    });
    on('ready', async () => {
      this.restartDelay = this.initialRestartDelay();
      await this.setStatus('connected', null);
    });
    on('message', (message) => this.handleMessage(message as Message));
    on('message_create', (message) => this.handleOwnMessage(message as Message));
    on('message_ack', async (message, ack) => {
      const record = toAckRecord(message as Message, ack);
      if (record) await this.options.callbacks.onAck?.(record.providerMessageId, record.status);
    });
    on('message_revoke_everyone', async (message, revoked) => {
      const record = toRevokeRecord(message as Message, revoked as Message | undefined, this.now());
      if (record) await this.options.callbacks.onRevoke?.(record);
    });
    on('message_edit', async (message, newBody, prevBody) => {
      const record = toEditRecord(message as Message, newBody, prevBody, this.now());
      if (!record) return;
      // An edit in a chat we must not ingest is not passed on either.
      const mapped = toInbound(message as Message, this.options.account);
      if (mapped.ok && !shouldIngest(await this.options.settings(), mapped.message).ingest) return;
      await this.options.callbacks.onEdit?.(record);
    });
    on('disconnected', async (reason) => {
      const detail = typeof reason === 'string' ? reason : null;
      if (detail === 'LOGOUT') return this.setStatus('logged_out', detail);
      this.scheduleRestart();
      await this.setStatus('disconnected', detail);
    });
    on('auth_failure', async (message) => {
      await this.setStatus('logged_out', 'auth_failure');
      throw new AppError('unavailable', `WhatsApp authentication failed: ${String(message)}`);
    });
    // An 'error' event without a listener would throw out of the emitter.
    on('error', (error) => this.report(error, 'client_error'));
  }

  private async closeClient(): Promise<void> {
    const client = this.detach();
    if (client) await client.destroy().catch((error: unknown) => this.report(error, 'stop'));
  }

  private detach(): WhatsappClientLike | undefined {
    const client = this.client;
    for (const [event, listener] of this.listeners) client?.removeListener(event, listener);
    this.listeners = [];
    this.client = undefined;
    return client;
  }

  private async handleMessage(message: Message): Promise<void> {
    const { callbacks, lookupContact, account } = this.options;
    let mapped = toInbound(message, account);
    // Only a direct chat with someone else has a contact to look up (a group's lookup would
    // name its author, ours our own account).
    if (mapped.ok && lookupContact && !mapped.message.isGroup && !mapped.message.fromMe) {
      const hint = await lookupContact(message).catch(() => undefined);
      if (hint) mapped = toInbound(message, account, hint);
    }
    if (!mapped.ok) {
      const { providerMessageId, outcome, reason } = mapped;
      return callbacks.onSkipped?.({ providerMessageId, outcome, reason });
    }
    // Fails closed: without readable settings nothing is ingested (the error is reported).
    const decision = shouldIngest(await this.options.settings(), mapped.message);
    if (!decision.ingest) {
      const { providerMessageId } = mapped.message;
      return callbacks.onSkipped?.({
        providerMessageId,
        outcome: 'ignored',
        reason: decision.reason,
      });
    }
    await callbacks.onInbound(mapped.message);
  }

  /** Our own messages: the echo of `send()` is dropped, one written on the phone is passed on. */
  private async handleOwnMessage(message: Message): Promise<void> {
    if (message?.fromMe !== true) return; // others' messages arrive as 'message'
    // The echo can come before sendMessage resolves: wait for sends under way (bounded).
    if (this.inflightSends.size > 0) {
      const timeout = new Promise((resolve) => setTimeout(resolve, 30_000).unref());
      await Promise.race([Promise.allSettled([...this.inflightSends]), timeout]);
    }
    const id: unknown = message.id?._serialized;
    if (typeof id === 'string' && this.recentSends.has(id)) return;
    await this.handleMessage(message);
  }

  private scheduleRestart(): void {
    if (this.stopped || this.restartDelay === null) return;
    const delay = this.restartDelay;
    this.restartDelay = Math.min(delay * 2, MAX_RESTART_DELAY_MS);
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.enqueue('restart', async () => {
        if (this.stopped) return;
        const old = this.detach();
        await old?.destroy().catch(() => undefined);
        try {
          await this.launch();
        } catch (error) {
          this.scheduleRestart();
          throw error;
        }
      });
    }, delay);
    this.restartTimer.unref();
  }

  private async setStatus(status: WhatsappStatus, detail: string | null): Promise<void> {
    if (status === this.currentStatus) return;
    this.currentStatus = status;
    await this.options.callbacks.onStatus?.(status, detail);
  }

  private initialRestartDelay(): number | null {
    return this.options.restartDelayMs === undefined ? 5_000 : this.options.restartDelayMs;
  }

  private enqueue(event: string, work: () => Promise<void> | void): void {
    this.queue = this.queue.then(work).catch((error: unknown) => this.report(error, event));
  }

  private async report(error: unknown, event: string): Promise<void> {
    try {
      await this.options.callbacks.onError?.(error, { event });
    } catch {
      // An error handler that fails has nobody left to tell.
    }
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }
}
