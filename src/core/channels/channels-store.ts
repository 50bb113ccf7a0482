import type { ChannelFacts, OwnerRef } from '../access/index.js';

/**
 * The store ports of the channel-account actions (connect a webhook or WhatsApp account, see
 * it, change its WhatsApp settings, disable or reconnect it). A change is decided on the
 * account's row locked in the action's transaction, so two admins acting on one account at
 * once are decided one after the other. Only a `ChannelsTx` can lock, and it exists only
 * inside `transaction`.
 */
export interface ChannelsStore {
  /** The workspace's accounts, oldest first (every one: who may see each is for core to say). */
  listChannels(workspaceId: string): Promise<ChannelRecord[]>;
  /** Undefined: not an account of the workspace. */
  findChannel(workspaceId: string, channelId: string): Promise<ChannelRecord | undefined>;
  /** Runs `work` in one transaction: everything it wrote commits together, or nothing does. */
  transaction<T>(work: (tx: ChannelsTx) => Promise<T>): Promise<T>;
}

export type ChannelType = 'webhook' | 'whatsapp';
export type ChannelStatus =
  'active' | 'qr_pending' | 'connected' | 'disconnected' | 'logged_out' | 'disabled';

/** A channel account: the facts access decides on (id, workspace, owner) and its state. */
export interface ChannelRecord extends ChannelFacts {
  type: ChannelType;
  name: string;
  status: ChannelStatus;
  /**
   * WhatsApp: why it is `disconnected` or `logged_out`, as the node running it said (e.g.
   * `failed to start: net::ERR_NAME_NOT_RESOLVED at https://web.whatsapp.com/`); null when
   * connected, waiting for its QR code or disabled, and when nothing was said.
   */
  statusDetail: string | null;
  /** Per-type settings (WhatsApp: group chats on/off, excluded contacts, and other keys). */
  settings: Record<string, unknown>;
  /** WhatsApp: the latest QR code to scan while `qr_pending`. */
  qr: string | null;
}

/** One audit entry (who, what, before/after), written in the action's transaction. */
export interface ChannelsAuditEntry {
  workspaceId: string;
  actorUserId: string;
  action: 'channel.connect' | 'channel.edit' | 'channel.disable' | 'channel.reconnect';
  targetType: 'channel';
  targetId: string;
  before?: unknown;
  after?: unknown;
}

/** The transaction-scoped half of `ChannelsStore`. */
export interface ChannelsTx {
  /**
   * The account, locked (`FOR UPDATE`) until the transaction ends: a change decided on this
   * answer still holds at commit. Undefined: not an account of the workspace.
   */
  lockChannel(workspaceId: string, channelId: string): Promise<ChannelRecord | undefined>;
  insertChannel(channel: {
    workspaceId: string;
    type: ChannelType;
    name: string;
    owner: OwnerRef;
    connectedBy: string;
    status: ChannelStatus;
    /** Signs a webhook channel's inbound and outbound traffic; null for WhatsApp. */
    secret: string | null;
    outboundUrl: string | null;
    /** Undefined: the column's default. */
    settings?: Record<string, unknown>;
  }): Promise<ChannelRecord>;
  setSettings(
    workspaceId: string,
    channelId: string,
    settings: Record<string, unknown>,
    at: Date,
  ): Promise<ChannelRecord>;
  /**
   * Sets the status and forgets any QR code (a new one comes once the account runs again) and
   * the reason of an earlier status.
   */
  setStatus(
    workspaceId: string,
    channelId: string,
    status: 'disabled' | 'qr_pending',
    at: Date,
  ): Promise<ChannelRecord>;
  /** Forgets a WhatsApp account's stored session: linking again needs a new QR scan. */
  forgetSession(workspaceId: string, channelId: string): Promise<void>;
  audit(entry: ChannelsAuditEntry): Promise<void>;
}

/**
 * The nodes that run WhatsApp accounts. Absent: this server cannot connect WhatsApp. Told after
 * the commit, so a node starts or stops an account now rather than at its next reconcile.
 */
export interface WhatsappAccounts {
  accountChanged(channelId: string): void;
}

/**
 * What a WhatsApp account's settings may hold (personal-chat protection, issue 6); the rules
 * live with the WhatsApp adapter, which is what reads them.
 */
export interface WhatsappSettingsRules {
  /** A new account's settings: group chats off, no contacts excluded. */
  readonly defaults: Record<string, unknown>;
  /**
   * Validates and normalizes settings (other keys kept); malformed ones throw `invalid_input`
   * with a detail per problem, its path relative to the settings.
   */
  normalize(
    settings: unknown,
  ): { groups: boolean; excludedContacts: string[] } & Record<string, unknown>;
}
