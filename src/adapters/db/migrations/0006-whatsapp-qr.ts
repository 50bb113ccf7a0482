import { sql, type Kysely } from 'kysely';

/**
 * The latest QR code of a WhatsApp account waiting to be linked, where every API process can
 * read it (`GET .../channels/:id/qr`), whichever node runs the account's client. Cleared once
 * the account is connected: a QR code is only good while the status is `qr_pending`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE channel_accounts
      ADD COLUMN qr text CHECK (length(qr) <= 4096),
      ADD COLUMN qr_updated_at timestamptz
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE channel_accounts DROP COLUMN qr, DROP COLUMN qr_updated_at`.execute(db);
}
