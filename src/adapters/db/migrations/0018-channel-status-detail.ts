import { sql, type Kysely } from 'kysely';

/**
 * Why a WhatsApp account is `disconnected` or `logged_out` (`failed to start: <reason>`, a
 * disconnect reason such as `NAVIGATION`, `LOGOUT`), for those who may connect it: shown with
 * the status on `GET .../channels/:id/qr` and the stream's `channel.status`. Written with the
 * status by the node running the account; null while the account is connected, waiting for
 * its QR code or disabled, and when nothing was said.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE channel_accounts
      ADD COLUMN status_detail text CHECK (length(status_detail) <= 500)
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE channel_accounts DROP COLUMN status_detail`.execute(db);
}
