import { sql, type Kysely } from 'kysely';

/** Keyset batches of "chats assigned to U" in id order (revoke, bulk reassign). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE INDEX chats_assignee_user_id ON chats (assignee_user_id, id) WHERE assignee_user_id IS NOT NULL;
    CREATE INDEX chats_assignee_team_id ON chats (assignee_team_id) WHERE assignee_team_id IS NOT NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX chats_assignee_user_id; DROP INDEX chats_assignee_team_id;`.execute(db);
}
