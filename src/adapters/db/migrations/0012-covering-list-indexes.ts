import { sql, type Kysely } from 'kysely';

/**
 * The list's indexes answer their branches without visiting the tables.
 *
 * - The workspace's time order moves from `chats` to `chat_assignments`, with everything the
 *   scope is decided by carried in the index. A Teammate of a large team sees a tenth of the
 *   workspace or less, through hundreds of members and accounts, so the list finds a page of it
 *   by walking the workspace's newest chats and keeping the ones in scope (`walkedChatsQuery`).
 *   On `chats_workspace_recent` that walk read each chat's row for its account and probed
 *   `chat_assignments` for its assignee: ~10 buffers per chat walked, ~5,000 for a page at a
 *   million chats. `chat_assignments_recent` holds the account and the assignee beside the key,
 *   so the walk is an index-only scan, a few hundred entries per 8 kB page. It takes the place
 *   of `chats_workspace_recent`, which only the Owner's and Admin's "every chat" branch read and
 *   which walks this one as well: a new message still writes one workspace-order entry, now
 *   into the narrow table.
 * - The per-user and per-team indexes carry the workspace, which every branch tests (a user
 *   may belong to several workspaces). A top-N then never reads the table either, so its
 *   cost no longer depends on how many chats the planner expects the key to have: the plan
 *   PostgreSQL keeps for a prepared statement (planned for any user) costs what a plan for this
 *   user would, and is kept, where before an Agent's list was planned afresh on every call
 *   (~0.5 ms of a ~1.5 ms call at a million chats).
 *
 * Each index is built while the table refuses writes, a few seconds at a million chats.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE INDEX chat_assignments_recent
      ON chat_assignments (workspace_id, last_message_at DESC, chat_id DESC)
      INCLUDE (channel_id, user_id, team_id);
    DROP INDEX chats_workspace_recent;

    DROP INDEX chat_assignments_user_recent;
    CREATE INDEX chat_assignments_user_recent
      ON chat_assignments (user_id, last_message_at DESC, chat_id DESC) INCLUDE (workspace_id)
      WHERE user_id IS NOT NULL;
    DROP INDEX chat_assignments_team_recent;
    CREATE INDEX chat_assignments_team_recent
      ON chat_assignments (team_id, last_message_at DESC, chat_id DESC) INCLUDE (workspace_id)
      WHERE team_id IS NOT NULL;
    DROP INDEX chat_participants_user_recent;
    CREATE INDEX chat_participants_user_recent
      ON chat_participants (user_id, last_message_at DESC, chat_id DESC) INCLUDE (workspace_id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX chat_participants_user_recent;
    CREATE INDEX chat_participants_user_recent
      ON chat_participants (user_id, last_message_at DESC, chat_id DESC);
    DROP INDEX chat_assignments_team_recent;
    CREATE INDEX chat_assignments_team_recent
      ON chat_assignments (team_id, last_message_at DESC, chat_id DESC) WHERE team_id IS NOT NULL;
    DROP INDEX chat_assignments_user_recent;
    CREATE INDEX chat_assignments_user_recent
      ON chat_assignments (user_id, last_message_at DESC, chat_id DESC) WHERE user_id IS NOT NULL;

    CREATE INDEX chats_workspace_recent ON chats (workspace_id, last_message_at DESC, id DESC);
    DROP INDEX chat_assignments_recent;
  `.execute(db);
}
