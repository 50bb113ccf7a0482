import { sql, type Kysely } from 'kysely';

/**
 * CRM panels (issue 20).
 * - `integrations.secret`: what a generic CRM signs its panel requests with (HMAC-SHA256, like
 *   inbound webhooks); shown once, at creation. A Pipedrive integration keeps its settings
 *   (company id, JWT secret, Basic auth, API token and base URL) in `config`.
 * - `integration_users`: a CRM user id (a Pipedrive user id) acting as a member.
 * - `crm_records`: a CRM record linked to contacts and chats, and the members the CRM says may
 *   access it. Its grants (CRM precedence, PRODUCT.md §3.5) are `crm_grants` rows keyed by
 *   `crm_record` = `<integration id>:<type>:<id>`, rewritten whenever the record is.
 * - `signed_request_replays`: signatures of CRM requests seen in the last minutes; a request
 *   whose signature was seen already is a replay.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE integrations ADD COLUMN secret text;
    ALTER TABLE integrations ADD CONSTRAINT integrations_crm_secret
      CHECK ((type = 'crm') = (secret IS NOT NULL));

    CREATE TABLE integration_users (
      integration_id text NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
      crm_user_id text NOT NULL,
      workspace_id text NOT NULL,
      user_id text NOT NULL REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (integration_id, crm_user_id)
    );

    CREATE TABLE crm_records (
      integration_id text NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
      workspace_id text NOT NULL,
      record_type text NOT NULL,
      record_id text NOT NULL,
      contact_ids text[] NOT NULL DEFAULT '{}',
      chat_ids text[] NOT NULL DEFAULT '{}',
      user_ids text[] NOT NULL DEFAULT '{}',
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (integration_id, record_type, record_id)
    );
    CREATE INDEX crm_records_contacts ON crm_records USING gin (contact_ids);
    CREATE INDEX crm_grants_record ON crm_grants (crm_record);

    CREATE TABLE signed_request_replays (
      integration_id text NOT NULL,
      signature text NOT NULL,
      seen_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (integration_id, signature)
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE signed_request_replays, crm_records, integration_users;
    DROP INDEX crm_grants_record;
    ALTER TABLE integrations DROP CONSTRAINT integrations_crm_secret;
    ALTER TABLE integrations DROP COLUMN secret;
  `.execute(db);
}
