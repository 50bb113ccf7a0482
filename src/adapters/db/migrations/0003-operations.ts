import { sql, type Kysely } from 'kysely';

/** Webhooks and their deliveries, durable job records and the transactional outbox. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE webhooks (
      id text PRIMARY KEY,
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      url text NOT NULL CHECK (url ~ '^https?://'),
      events text[] NOT NULL,
      secret text NOT NULL,
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
      created_by text REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (workspace_id, id)
    );

    CREATE TABLE webhook_deliveries (
      id text PRIMARY KEY,
      workspace_id text NOT NULL,
      webhook_id text NOT NULL,
      event_id text NOT NULL,
      event_type text NOT NULL,
      chat_id text,
      payload jsonb NOT NULL,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed', 'dead')),
      attempts integer NOT NULL DEFAULT 0,
      last_status_code integer,
      last_error text,
      next_attempt_at timestamptz,
      delivered_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (webhook_id, event_id),
      FOREIGN KEY (workspace_id, webhook_id) REFERENCES webhooks (workspace_id, id) ON DELETE CASCADE
    );
    CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (webhook_id, created_at DESC, id DESC);
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
      WHERE status IN ('pending', 'failed');

    CREATE TABLE jobs (
      id text PRIMARY KEY,
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      type text NOT NULL,
      state text NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'active', 'completed', 'failed')),
      input jsonb NOT NULL DEFAULT '{}',
      progress_done integer NOT NULL DEFAULT 0,
      progress_total integer NOT NULL DEFAULT 0,
      checkpoint jsonb,
      result jsonb,
      error text,
      created_by text REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX jobs_workspace_recent ON jobs (workspace_id, created_at DESC);

    CREATE TABLE outbox (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      workspace_id text REFERENCES workspaces(id) ON DELETE CASCADE,
      topic text NOT NULL,
      payload jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      published_at timestamptz
    );
    CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE outbox, jobs, webhook_deliveries, webhooks;`.execute(db);
}
