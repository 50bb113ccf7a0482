import { sql } from 'kysely';
import { phoneOrNull } from '../../core/contacts/phone.js';
import { AppError } from '../../core/errors.js';
import type { Database } from '../db/database.js';
import type { ChannelStatus } from '../db/tables/channels.table.js';
import { parseWhatsappSettings, type WhatsappSettings } from './settings.js';
import type { WhatsappStatus } from './whatsapp-channel.js';

/**
 * What the WhatsApp accounts keep in `channel_accounts`: which accounts should run, their
 * status and why (`status_detail`) and latest QR code (read by every API process), and their
 * settings. Status and QR are written by the node holding the account's lease only
 * (accounts.ts checks that).
 */

/** Statuses an account does not run in: it waits for a person (a new link, an admin). */
export const stoppedStatuses = ['logged_out', 'disabled'] as const;

export interface RunnableAccount {
  workspaceId: string;
  channelId: string;
}

/** Every WhatsApp account that should run on some node. */
export async function listRunnableAccounts(db: Database): Promise<RunnableAccount[]> {
  const rows = await db
    .selectFrom('channel_accounts')
    .select(['id', 'workspace_id'])
    .where('type', '=', 'whatsapp')
    .where('status', 'not in', stoppedStatuses)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ workspaceId: r.workspace_id, channelId: r.id }));
}

const accountStatuses = [
  'qr_pending',
  'connected',
  'disconnected',
  'logged_out',
  'disabled',
] as const satisfies readonly ChannelStatus[];

/** WhatsApp accounts per status, every status present (0 when none), for metrics. */
export async function countAccountsByStatus(db: Database): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('channel_accounts')
    .select(['status', (eb) => eb.fn.countAll<string>().as('count')])
    .where('type', '=', 'whatsapp')
    .groupBy('status')
    .execute();
  const counts: Record<string, number> = Object.fromEntries(accountStatuses.map((s) => [s, 0]));
  for (const row of rows) counts[row.status] = Number(row.count);
  return counts;
}

/** Logged out, disabled or deleted: nobody runs it, so nobody will send its replies. */
export async function isAccountStopped(db: Database, channelId: string): Promise<boolean> {
  const row = await db
    .selectFrom('channel_accounts')
    .select('status')
    .where('id', '=', channelId)
    .executeTakeFirst();
  return !row || (stoppedStatuses as readonly string[]).includes(row.status);
}

/** Longest `status_detail` stored (the column's CHECK). */
export const MAX_STATUS_DETAIL = 500;

/** Statuses that need no explanation: their detail is always null. */
const unexplained: readonly WhatsappStatus[] = ['connected', 'qr_pending'];

/**
 * Sets the status (a disabled account stays disabled) and why (`detail`, trimmed to 500
 * characters; null for `connected` and `qr_pending`, and when not given); any status but
 * `qr_pending` clears the QR code. True when something changed, the detail alone included.
 */
export async function writeStatus(
  db: Database,
  channelId: string,
  status: WhatsappStatus,
  options: { detail?: string | null; onlyFrom?: readonly WhatsappStatus[] } = {},
): Promise<boolean> {
  const detail = unexplained.includes(status) ? null : statusDetail(options.detail);
  let query = db
    .updateTable('channel_accounts')
    .set({
      status,
      status_detail: detail,
      updated_at: sql`now()`,
      ...(status === 'qr_pending' ? {} : { qr: null, qr_updated_at: null }),
    })
    .where('id', '=', channelId)
    .where('type', '=', 'whatsapp')
    .where('status', '<>', 'disabled')
    .where((eb) =>
      eb.or([
        eb('status', '<>', status),
        sql<boolean>`status_detail IS DISTINCT FROM ${detail}::text`,
        ...(status === 'qr_pending' ? [] : [eb('qr', 'is not', null)]),
      ]),
    );
  if (options.onlyFrom) query = query.where('status', 'in', options.onlyFrom);
  const result = await query.executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Forgets why a `disconnected` account was down (its client has just started again). True
 * when there was a reason to forget.
 */
export async function clearStatusDetail(db: Database, channelId: string): Promise<boolean> {
  const result = await db
    .updateTable('channel_accounts')
    .set({ status_detail: null, updated_at: sql`now()` })
    .where('id', '=', channelId)
    .where('type', '=', 'whatsapp')
    .where('status', '=', 'disconnected')
    .where('status_detail', 'is not', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** A detail as stored: trimmed, at most 500 characters (not UTF-16 units), null when empty. */
export function statusDetail(detail: string | null | undefined): string | null {
  const trimmed = detail?.trim();
  if (!trimmed) return null;
  const chars = Array.from(trimmed);
  return chars.length <= MAX_STATUS_DETAIL ? trimmed : chars.slice(0, MAX_STATUS_DETAIL).join('');
}

/** Keeps the latest QR code (status `qr_pending`, no detail). True when stored. */
export async function writeQr(db: Database, channelId: string, qr: string): Promise<boolean> {
  const result = await db
    .updateTable('channel_accounts')
    .set({
      qr,
      qr_updated_at: sql`now()`,
      status: 'qr_pending',
      status_detail: null,
      updated_at: sql`now()`,
    })
    .where('id', '=', channelId)
    .where('type', '=', 'whatsapp')
    .where('status', 'not in', stoppedStatuses)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** The account's personal-chat protection; throws (so nothing is ingested) if unreadable. */
export async function readSettings(db: Database, channelId: string): Promise<WhatsappSettings> {
  const row = await db
    .selectFrom('channel_accounts')
    .select('settings')
    .where('id', '=', channelId)
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', `no channel account ${channelId}`);
  return parseWhatsappSettings(row.settings);
}

/**
 * The name the contact of a chat already has (by phone in the workspace, else by the chat),
 * so a message we wrote ourselves does not rename them after their number. Contacts are
 * stored under E.164, so the phone is looked up in that form however it was written.
 */
export async function knownContactName(
  db: Database,
  at: { workspaceId: string; channelId: string; externalChatId: string; phone: string | null },
): Promise<string | undefined> {
  const phone = phoneOrNull(at.phone);
  const row = phone
    ? await db
        .selectFrom('contacts')
        .select('name')
        .where('workspace_id', '=', at.workspaceId)
        .where('phone', '=', phone)
        .executeTakeFirst()
    : await db
        .selectFrom('chats as c')
        .innerJoin('contacts as ct', 'ct.id', 'c.contact_id')
        .select('ct.name')
        .where('c.channel_id', '=', at.channelId)
        .where('c.external_id', '=', at.externalChatId)
        .executeTakeFirst();
  return row?.name;
}
