import type { ColumnType } from 'kysely';
import type { CreatedAt, Generated, Json, JsonWithDefault } from './common.js';

export type ChannelType = 'webhook' | 'whatsapp';
export type ChannelStatus =
  'active' | 'qr_pending' | 'connected' | 'disconnected' | 'logged_out' | 'disabled';
/** `workspace` is HQ. */
export type OwnerType = 'user' | 'team' | 'workspace';

/** A connected channel account (a WhatsApp number, a webhook channel). */
export interface ChannelAccountsTable {
  id: string;
  workspace_id: string;
  type: ChannelType;
  name: string;
  owner_type: OwnerType;
  /** Set exactly when owner_type = 'user'. */
  owner_user_id: string | null;
  /** Set exactly when owner_type = 'team'. */
  owner_team_id: string | null;
  /** Who connected it (audit); ownership may have moved since. */
  connected_by: string | null;
  status: ChannelStatus;
  /**
   * WhatsApp: why the account is `disconnected` or `logged_out` (at most 500 characters), e.g.
   * `failed to start: net::ERR_NAME_NOT_RESOLVED at https://web.whatsapp.com/`; null otherwise.
   */
  status_detail: string | null;
  /** Secret that signs inbound webhooks and outbound replies (webhook channels). */
  secret: string | null;
  outbound_url: string | null;
  /** Per-type settings: group chats on/off, excluded contacts, phone number… */
  settings: JsonWithDefault<Record<string, unknown>>;
  /** WhatsApp: the latest QR code to scan while `qr_pending`; null otherwise. */
  qr: string | null;
  qr_updated_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

/** whatsapp-web.js session archives, so a session survives restarts and moves between nodes. */
export interface WhatsappSessionsTable {
  channel_id: string;
  workspace_id: string;
  data: Buffer;
  updated_at: CreatedAt;
}

export interface ContactsTable {
  id: string;
  workspace_id: string;
  name: string;
  /** E.164 with its '+' (`+4930123456`), as `normalizePhone` (core/contacts/phone.ts) makes it. */
  phone: string | null;
  email: string | null;
  /** Custom contact fields, used by routing rules. */
  fields: JsonWithDefault<Record<string, string>>;
  /** Null: HQ owns it. */
  owner_team_id: string | null;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export interface RoutingRulesTable {
  id: string;
  workspace_id: string;
  /** Rules are tried in ascending position; the first match wins. */
  position: number;
  name: string;
  /** `{channelId?, contactField?: {name, equals}, text?: {keyword? | regex?}}`. */
  match: Json<Record<string, unknown>>;
  target_type: 'team' | 'user';
  target_id: string;
  strategy: 'round_robin' | 'least_open' | 'sticky';
  enabled: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

/** Round-robin cursors: the last user a target handed a chat to. */
export interface RoutingCursorsTable {
  workspace_id: string;
  /** `team:<id>`, `user:<id>` or `workspace`. */
  target_key: string;
  last_user_id: string | null;
  updated_at: CreatedAt;
}
