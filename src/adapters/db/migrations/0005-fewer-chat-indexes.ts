import { sql, type Kysely } from 'kysely';

/**
 * Reassignment no longer walks a member's chats in id order (each batch takes whatever is
 * still theirs), and team hand-back finds a team's chats through chats_assignee_team_recent,
 * so 0004's two indexes only cost: every chat whose assignee changes is a non-HOT update
 * that writes an entry into each index of chats. Dropping them took a set-based revoke from
 * ~39,000 to ~50,000 chats/s on this project's benchmark.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX IF EXISTS chats_assignee_user_id`.execute(db);
  await sql`DROP INDEX IF EXISTS chats_assignee_team_id`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX chats_assignee_user_id ON chats (assignee_user_id, id) WHERE assignee_user_id IS NOT NULL`.execute(
    db,
  );
  await sql`CREATE INDEX chats_assignee_team_id ON chats (assignee_team_id) WHERE assignee_team_id IS NOT NULL`.execute(
    db,
  );
}
