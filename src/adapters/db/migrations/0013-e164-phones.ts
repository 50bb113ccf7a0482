import { sql, type Kysely } from 'kysely';
import { normalizePhone } from '../../../core/contacts/phone.js';

/**
 * Phone numbers keep their '+' (issue 17): contacts' phones become E.164 (`4930123456` →
 * `+4930123456`), and so do the phones among a WhatsApp account's excluded contacts. Each old
 * value goes through `normalizePhone`, the rule every input now follows, so stored data is
 * exactly what a new message with that number would store; the database then refuses anything
 * but E.164's shape.
 *
 * What the rule cannot make international is not kept in `phone` half-understood:
 * - a contact's stored value the rule refuses (a national `030123456`, a number too short for
 *   its country code), or one that is a second spelling of a number another contact of the
 *   workspace has (`004930123456` beside `4930123456`: one number now, and a contact's phone is
 *   unique in its workspace), moves to the contact's `fields.phoneBeforeE164`, where people and
 *   routing rules can still read it. Of two spellings, the contact whose digits already were
 *   the number keeps it, else the older one; contacts are never merged here.
 * - an excluded contact given as digits the rule refuses becomes the WhatsApp id it could only
 *   ever have matched (`<digits>@c.us`), so no chat the owner excluded is ingested now.
 * A contact named after its bare number (a WhatsApp contact without a name) is renamed to the
 * new form, as a new message would name it.
 *
 * Idempotent: only values without a '+' are rewritten. Runs in the migrator's transaction.
 */
const BATCH = 10_000;
/** Inlined (`sql.lit`): a statement list takes no parameters. */
const legacyField = sql.lit('phoneBeforeE164');

export async function up(db: Kysely<unknown>): Promise<void> {
  // The temporary table lives on one connection: the migrator's transaction, or our own.
  if (!db.isTransaction) return db.transaction().execute((trx) => up(trx));

  await sql`
    ALTER TABLE contacts DROP CONSTRAINT IF EXISTS contacts_phone_check;
    ALTER TABLE contacts DROP CONSTRAINT IF EXISTS contacts_phone_e164;
    DROP TABLE IF EXISTS pg_temp.phone_rewrite;
    CREATE TEMP TABLE phone_rewrite (
      id text PRIMARY KEY,
      workspace_id text NOT NULL,
      old_phone text NOT NULL,
      new_phone text
    ) ON COMMIT DROP;
  `.execute(db);

  for (let after = ''; ;) {
    const { rows } = await sql<{ id: string; workspace_id: string; phone: string }>`
      SELECT id, workspace_id, phone FROM contacts
      WHERE id > ${after} AND phone IS NOT NULL AND phone NOT LIKE '+%'
      ORDER BY id LIMIT ${sql.lit(BATCH)}
    `.execute(db);
    const last = rows.at(-1);
    if (!last) break;
    const rewritten = rows.map((r) => {
      const result = normalizePhone(r.phone);
      return result.ok ? result.phone : null;
    });
    await sql`
      INSERT INTO phone_rewrite (id, workspace_id, old_phone, new_phone)
      SELECT * FROM unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.workspace_id)}::text[],
                           ${rows.map((r) => r.phone)}::text[], ${rewritten}::text[])
    `.execute(db);
    after = last.id;
  }

  await sql`
    WITH ranked AS (
      SELECT r.id, row_number() OVER (
               PARTITION BY r.workspace_id, r.new_phone
               ORDER BY (r.old_phone = substr(r.new_phone, 2)) DESC, c.created_at, c.id) AS n
      FROM phone_rewrite r JOIN contacts c ON c.id = r.id
      WHERE r.new_phone IS NOT NULL
    )
    UPDATE phone_rewrite r SET new_phone = NULL FROM ranked WHERE ranked.id = r.id AND ranked.n > 1;

    UPDATE phone_rewrite r SET new_phone = NULL
    WHERE r.new_phone IS NOT NULL
      AND EXISTS (SELECT 1 FROM contacts c WHERE c.workspace_id = r.workspace_id AND c.phone = r.new_phone);

    UPDATE contacts c SET
      phone = r.new_phone,
      name = CASE WHEN r.new_phone IS NOT NULL AND c.name = r.old_phone THEN r.new_phone ELSE c.name END,
      fields = CASE WHEN r.new_phone IS NULL
                    THEN c.fields || jsonb_build_object(${legacyField}, r.old_phone)
                    ELSE c.fields END
    FROM phone_rewrite r WHERE c.id = r.id;

    ALTER TABLE contacts ADD CONSTRAINT contacts_phone_e164 CHECK (phone ~ '^\\+[1-9][0-9]{3,14}$');
  `.execute(db);

  const { rows: accounts } = await sql<{ id: string; excluded: unknown }>`
    SELECT id, settings -> 'excludedContacts' AS excluded FROM channel_accounts
    WHERE type = 'whatsapp' AND jsonb_typeof(settings -> 'excludedContacts') = 'array'
  `.execute(db);
  for (const account of accounts) {
    if (!Array.isArray(account.excluded)) continue;
    const list: unknown[] = account.excluded;
    const next = [...new Set(list.map(excludedContactUp))];
    if (JSON.stringify(next) === JSON.stringify(list)) continue;
    await sql`
      UPDATE channel_accounts
      SET settings = jsonb_set(settings, '{excludedContacts}', ${JSON.stringify(next)}::jsonb)
      WHERE id = ${account.id}
    `.execute(db);
  }
}

function excludedContactUp(entry: unknown): unknown {
  if (typeof entry !== 'string' || entry.includes('@')) return entry;
  const result = normalizePhone(entry);
  if (result.ok) return result.phone;
  const digits = entry.trim();
  return /^[0-9]{3,20}$/.test(digits) ? `${digits}@c.us` : entry;
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE contacts DROP CONSTRAINT IF EXISTS contacts_phone_e164;
    UPDATE contacts SET name = substr(phone, 2), phone = substr(phone, 2) WHERE phone LIKE '+%' AND name = phone;
    UPDATE contacts SET phone = substr(phone, 2) WHERE phone LIKE '+%';
    UPDATE contacts c SET phone = c.fields ->> ${legacyField}, fields = c.fields - ${legacyField}
    WHERE c.phone IS NULL AND c.fields ->> ${legacyField} ~ '^[0-9]{3,20}$'
      AND NOT EXISTS (SELECT 1 FROM contacts o
                      WHERE o.workspace_id = c.workspace_id AND o.phone = c.fields ->> ${legacyField});
    ALTER TABLE contacts ADD CONSTRAINT contacts_phone_check CHECK (phone ~ '^[0-9]{3,20}$');

    UPDATE channel_accounts
    SET settings = jsonb_set(settings, '{excludedContacts}', (
      SELECT coalesce(jsonb_agg(CASE WHEN e #>> '{}' LIKE '+%' THEN to_jsonb(substr(e #>> '{}', 2)) ELSE e END
                                ORDER BY n), '[]'::jsonb)
      FROM jsonb_array_elements(settings -> 'excludedContacts') WITH ORDINALITY AS x(e, n)))
    WHERE type = 'whatsapp' AND jsonb_typeof(settings -> 'excludedContacts') = 'array';
  `.execute(db);
}
