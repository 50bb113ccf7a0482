import { sql, type Kysely } from 'kysely';

/**
 * Integrations (shared/API.md "Integrations"): a Slack team linked to the one workspace its
 * slash commands act on (a Slack team links to one workspace at most: the unique index), and
 * later the CRM panels. `config` holds what each type needs; nothing secret is shown again
 * after creation. The audit log records which door an action came through (`via`: api,
 * slack, crm; null for the system's own jobs).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE integrations (
      id text PRIMARY KEY,
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      type text NOT NULL CHECK (type IN ('slack', 'crm', 'pipedrive')),
      name text NOT NULL,
      slack_team_id text CHECK (slack_team_id ~ '^[A-Z0-9]{2,32}$'),
      config jsonb NOT NULL DEFAULT '{}',
      created_by text REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((type = 'slack') = (slack_team_id IS NOT NULL))
    );
    CREATE UNIQUE INDEX integrations_slack_team ON integrations (slack_team_id)
      WHERE slack_team_id IS NOT NULL;
    CREATE INDEX integrations_workspace ON integrations (workspace_id, created_at);

    ALTER TABLE audit_log ADD COLUMN via text
      CHECK (via IN ('api', 'slack', 'crm'));
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE audit_log DROP COLUMN via;
    DROP TABLE integrations;
  `.execute(db);
}
