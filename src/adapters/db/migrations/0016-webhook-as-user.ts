import { sql, type Kysely } from 'kysely';

/**
 * A webhook subscription may act as a named member (`as_user_id`) instead of its creator: it
 * then carries only events of chats that member may see, redacted for them, and nothing while
 * they are not an active member. Null: the subscription acts as its creator, as before. The
 * foreign key carries the workspace, so a subscription can only name a member of its own
 * workspace.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE webhooks ADD COLUMN as_user_id text;
    ALTER TABLE webhooks ADD CONSTRAINT webhooks_as_user_member
      FOREIGN KEY (workspace_id, as_user_id) REFERENCES memberships (workspace_id, user_id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE webhooks DROP CONSTRAINT webhooks_as_user_member;
    ALTER TABLE webhooks DROP COLUMN as_user_id;
  `.execute(db);
}
