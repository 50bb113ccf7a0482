import type { EventPublisher } from '../../core/events/events.js';
import type { Database } from '../db/database.js';
import type { InboundMessage } from '../../core/chats/inbound-message.js';
import type { OutboundStatus } from './acks.js';
import {
  clearStatusDetail,
  knownContactName,
  readSettings,
  writeQr,
  writeStatus,
} from './account-store.js';
import { applyAck, recordEdit, recordRevoke } from './message-updates.js';
import type { AccountRef, WhatsappInbound } from './to-inbound.js';
import {
  WhatsappChannel,
  type WhatsappChannelOptions,
  type WhatsappStatus,
} from './whatsapp-channel.js';

/**
 * One WhatsApp account running on this node while it holds the account's lease: a
 * `WhatsappChannel` whose callbacks write to the database. Status and QR writes are made only
 * while the lease is held (`lost` not aborted), so a node that lost the account, or is
 * shutting down after another took it over, never overwrites what the new holder wrote.
 */
export interface AccountsLog {
  debug(details: Record<string, unknown>, message: string): void;
  info(details: Record<string, unknown>, message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
}

export interface AccountRuntimeDeps {
  db: Database;
  /** Resolves once the message is stored (or safely queued to be). */
  ingest: { submit(message: InboundMessage): Promise<unknown> };
  events: EventPublisher;
  log: AccountsLog;
  createClient: WhatsappChannelOptions['createClient'];
  lookupContact?: WhatsappChannelOptions['lookupContact'];
  restartDelayMs?: number | null;
}

/** What runs beside an account (the sender of its replies) sees of it. */
export interface RunningAccount extends AccountRef {
  /** Sends a text through this node's client; resolves with WhatsApp's message id. */
  send(externalChatId: string, text: string): Promise<string>;
  /** Call once a sent message is stored under WhatsApp's id: applies acks that came first. */
  recorded(providerMessageId: string): Promise<void>;
}

/** Acks for ids not stored (yet), kept a while: the ack of a reply can beat its id's write. */
const EARLY_ACKS = 1_000;
const EARLY_ACK_MS = 120_000;

export class AccountRuntime implements RunningAccount {
  readonly workspaceId: string;
  readonly channelId: string;
  private readonly channel: WhatsappChannel;
  private readonly earlyAcks = new Map<string, { statuses: OutboundStatus[]; at: number }>();

  constructor(
    private readonly deps: AccountRuntimeDeps,
    account: AccountRef,
    /** Aborted when this node loses the account's lease. */
    private readonly lost: AbortSignal,
    /** The account was logged out: it must stop running (on every node). */
    private readonly onLoggedOut: () => void,
  ) {
    this.workspaceId = account.workspaceId;
    this.channelId = account.channelId;
    const { db, log } = deps;
    const at = { channelId: this.channelId };
    this.channel = new WhatsappChannel({
      account,
      createClient: deps.createClient,
      lookupContact: deps.lookupContact,
      restartDelayMs: deps.restartDelayMs,
      settings: () => readSettings(db, this.channelId),
      callbacks: {
        onStatus: (status, detail) => this.setStatus(status, detail),
        onQr: async (qr) => {
          if (this.lost.aborted) return;
          if (await writeQr(db, this.channelId, qr)) await this.announce();
        },
        onInbound: (message) => this.ingest(message),
        onAck: async (providerMessageId, status) => {
          const ack = { providerMessageId, status };
          if (await applyAck(db, this.channelId, ack)) return;
          this.keepEarlyAck(providerMessageId, status);
          // The id may have been stored, and `recorded` found nothing kept, while the first
          // try was on its way: try again now that the ack is kept (applying twice is harmless,
          // statuses only move forward).
          if (await applyAck(db, this.channelId, ack)) this.earlyAcks.delete(providerMessageId);
        },
        onEdit: async (edit) => void (await recordEdit(db, this.channelId, edit)),
        onRevoke: async (revoke) => void (await recordRevoke(db, this.channelId, revoke)),
        onSkipped: (skipped) =>
          skipped.outcome === 'rejected'
            ? log.warn({ ...at, ...skipped }, 'WhatsApp message not understood; not ingested')
            : log.debug({ ...at, ...skipped }, 'WhatsApp message not ingested'),
        onError: (error, context) =>
          log.warn({ ...at, err: error, event: context.event }, 'WhatsApp event failed'),
      },
    });
  }

  get status(): WhatsappStatus {
    return this.channel.status;
  }

  /**
   * Starts the client; if it cannot start (no browser, no network…), the account shows
   * `disconnected` with why (`failed to start: <reason>`). Once started, an earlier reason is
   * forgotten: the client runs again (it says itself when it waits for a QR code or is ready).
   */
  async start(): Promise<void> {
    try {
      await this.channel.start();
    } catch (error) {
      // The reason is logged by whoever started it (accounts.ts), once per new reason.
      await this.setStatus('disconnected', `failed to start: ${startFailure(error)}`).catch(
        () => undefined,
      );
      throw error;
    }
    if (this.lost.aborted) return;
    try {
      if (await clearStatusDetail(this.deps.db, this.channelId)) await this.announce();
    } catch (error) {
      // The client runs; a stale reason shows until its next status.
      this.deps.log.warn({ channelId: this.channelId, err: error }, 'WhatsApp status not written');
    }
  }

  send(externalChatId: string, text: string): Promise<string> {
    return this.channel.send(externalChatId, text);
  }

  async recorded(providerMessageId: string): Promise<void> {
    const early = this.earlyAcks.get(providerMessageId);
    if (!early) return;
    this.earlyAcks.delete(providerMessageId);
    for (const status of early.statuses)
      await applyAck(this.deps.db, this.channelId, { providerMessageId, status });
  }

  /**
   * Stops the client, keeping the session. Still holding the lease (shutdown), the account
   * shows `disconnected` until a node runs it again; a lost lease is the new holder's to write.
   */
  async stop(): Promise<void> {
    await this.channel.stop();
    if (this.lost.aborted) return;
    if (await writeStatus(this.deps.db, this.channelId, 'disconnected', { onlyFrom: running }))
      await this.announce();
  }

  private async setStatus(status: WhatsappStatus, detail: string | null): Promise<void> {
    if (this.lost.aborted) return;
    this.deps.log.info(
      { channelId: this.channelId, status, detail },
      `WhatsApp account ${this.channelId}: ${status}`,
    );
    try {
      if (await writeStatus(this.deps.db, this.channelId, status, { detail }))
        await this.announce();
    } finally {
      // Even if the write failed: a logged-out client never comes back by itself.
      if (status === 'logged_out') this.onLoggedOut();
    }
  }

  private announce(): Promise<void> {
    return this.deps.events.publish({
      type: 'channel.status',
      workspaceId: this.workspaceId,
      channelId: this.channelId,
    });
  }

  private async ingest(m: WhatsappInbound): Promise<void> {
    let contact = m.contact;
    // Our own message in a direct chat names the contact after their number: keep their name.
    if (m.fromMe && !m.isGroup) {
      const name = await knownContactName(this.deps.db, { ...m, phone: m.contact.phone });
      if (name) contact = { ...contact, name };
    }
    await this.deps.ingest.submit({
      workspaceId: m.workspaceId,
      channelId: m.channelId,
      externalChatId: m.externalChatId,
      providerMessageId: m.providerMessageId,
      contact,
      text: m.text,
      sentAt: m.sentAt,
      isGroup: m.isGroup,
      senderExternalId: m.sender,
      media: m.media,
      fromMe: m.fromMe,
    });
  }

  private keepEarlyAck(providerMessageId: string, status: OutboundStatus): void {
    const now = Date.now();
    const entry = this.earlyAcks.get(providerMessageId);
    if (entry) {
      entry.statuses.push(status);
      return;
    }
    for (const [id, { at }] of this.earlyAcks) {
      if (this.earlyAcks.size < EARLY_ACKS && now - at < EARLY_ACK_MS) break;
      this.earlyAcks.delete(id); // oldest first (insertion order)
    }
    this.earlyAcks.set(providerMessageId, { statuses: [status], at: now });
  }
}

const running: readonly WhatsappStatus[] = ['qr_pending', 'connected'];

/**
 * Why a client did not start, for those who may connect the account: the innermost cause's
 * message (WhatsappChannel wraps it in "The WhatsApp client did not start."), e.g.
 * `net::ERR_NAME_NOT_RESOLVED at https://web.whatsapp.com/`. Only its first line (a browser
 * that fails to launch appends its output, with its profile's folder), and file paths left
 * out (the folders under the data path, sessions among them, are the operator's business).
 */
export function startFailure(error: unknown): string {
  let reason: unknown = error;
  for (let depth = 0; depth < 5 && reason instanceof Error && reason.cause !== undefined; depth++)
    reason = reason.cause;
  const message = reason instanceof Error ? reason.message : String(reason);
  const line = message.split(/\r?\n/, 1)[0]?.trim() ?? '';
  // An absolute path (not a URL's: that follows its host, not a blank or a quote).
  const text = line.replace(/(^|[\s'"`(=])(?:[A-Za-z]:)?[\\/](?![\\/])[^\s'"`),]*/g, '$1…');
  return text || 'unknown reason';
}
