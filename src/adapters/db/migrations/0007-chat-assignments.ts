import { sql, type Kysely } from 'kysely';

/**
 * Who a chat is assigned to moves out of `chats` into a narrow table of its own.
 *
 * Every assignee change used to be a non-HOT update of the wide chats row, writing a new entry
 * into each of its nine indexes; a bare `UPDATE chats SET assignee_user_id = NULL` ran at
 * ~50,000 rows/s on the project's 2-core machine, so revoking a member with 100k chats could
 * not reach issue 5's 50,000 chats/s once its events and progress were counted. Here a change
 * writes one small row and two index entries (its key and the one list index it now belongs
 * to): ~140,000 rows/s measured on the same machine.
 *
 * The list query's assignee and unassigned branches need (last_message_at DESC, chat_id DESC)
 * order per assignee, so the row carries a copy of the chat's last_message_at. The database
 * keeps that copy, not the application: statement triggers on chats (one statement per
 * ingest batch, not per row) create the row of every new chat and follow every change of
 * last_message_at, so the two can never disagree — a disagreement would make the list show a
 * chat twice or skip it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE chat_assignments (
      chat_id text COLLATE "C" PRIMARY KEY,
      workspace_id text NOT NULL,
      user_id text,
      team_id text,
      -- The user the chat was last assigned to: a hint for sticky routing, which only follows it
      -- to an active member the chat may go to. No foreign key: checking one costs every row a
      -- reassignment moves as much again as the move itself, and users are never deleted.
      last_user_id text,
      last_message_at timestamptz NOT NULL,
      CHECK (user_id IS NULL OR team_id IS NULL),
      FOREIGN KEY (workspace_id, chat_id) REFERENCES chats (workspace_id, id) ON DELETE CASCADE,
      FOREIGN KEY (workspace_id, user_id) REFERENCES memberships (workspace_id, user_id),
      FOREIGN KEY (workspace_id, team_id) REFERENCES teams (workspace_id, id)
    );

    INSERT INTO chat_assignments (chat_id, workspace_id, user_id, team_id, last_user_id, last_message_at)
      SELECT id, workspace_id, assignee_user_id, assignee_team_id, last_assignee_user_id, last_message_at FROM chats;

    -- The list query's assignee and unassigned branches, each answered from its own index.
    CREATE INDEX chat_assignments_user_recent ON chat_assignments (user_id, last_message_at DESC, chat_id DESC)
      WHERE user_id IS NOT NULL;
    CREATE INDEX chat_assignments_team_recent ON chat_assignments (team_id, last_message_at DESC, chat_id DESC)
      WHERE team_id IS NOT NULL;
    CREATE INDEX chat_assignments_unassigned_recent ON chat_assignments (workspace_id, last_message_at DESC, chat_id DESC)
      WHERE user_id IS NULL AND team_id IS NULL;

    -- Dropping the columns drops chats_assignee_user_recent, chats_assignee_team_recent and
    -- chats_unassigned_recent with them.
    ALTER TABLE chats DROP COLUMN assignee_user_id, DROP COLUMN assignee_team_id, DROP COLUMN last_assignee_user_id;

    CREATE FUNCTION chat_assignments_for_new_chats() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO chat_assignments (chat_id, workspace_id, last_message_at)
        SELECT id, workspace_id, last_message_at FROM new_chats;
      RETURN NULL;
    END $$;
    CREATE FUNCTION chat_assignments_follow_last_message() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE chat_assignments a SET last_message_at = c.last_message_at
        FROM changed_chats c
        WHERE a.chat_id = c.id AND a.last_message_at IS DISTINCT FROM c.last_message_at;
      RETURN NULL;
    END $$;
    CREATE TRIGGER chats_insert_assignments AFTER INSERT ON chats
      REFERENCING NEW TABLE AS new_chats
      FOR EACH STATEMENT EXECUTE FUNCTION chat_assignments_for_new_chats();
    CREATE TRIGGER chats_update_assignments AFTER UPDATE ON chats
      REFERENCING NEW TABLE AS changed_chats
      FOR EACH STATEMENT EXECUTE FUNCTION chat_assignments_follow_last_message();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TRIGGER chats_insert_assignments ON chats;
    DROP TRIGGER chats_update_assignments ON chats;
    DROP FUNCTION chat_assignments_for_new_chats();
    DROP FUNCTION chat_assignments_follow_last_message();
    ALTER TABLE chats
      ADD COLUMN assignee_user_id text,
      ADD COLUMN assignee_team_id text,
      ADD COLUMN last_assignee_user_id text REFERENCES users(id),
      ADD CHECK (assignee_user_id IS NULL OR assignee_team_id IS NULL),
      ADD FOREIGN KEY (workspace_id, assignee_user_id) REFERENCES memberships (workspace_id, user_id),
      ADD FOREIGN KEY (workspace_id, assignee_team_id) REFERENCES teams (workspace_id, id);
    UPDATE chats c SET assignee_user_id = a.user_id, assignee_team_id = a.team_id, last_assignee_user_id = a.last_user_id
      FROM chat_assignments a WHERE a.chat_id = c.id;
    DROP TABLE chat_assignments;
    CREATE INDEX chats_assignee_user_recent ON chats (assignee_user_id, last_message_at DESC, id DESC)
      WHERE assignee_user_id IS NOT NULL;
    CREATE INDEX chats_assignee_team_recent ON chats (assignee_team_id, last_message_at DESC, id DESC)
      WHERE assignee_team_id IS NOT NULL;
    CREATE INDEX chats_unassigned_recent ON chats (workspace_id, last_message_at DESC, id DESC)
      WHERE assignee_user_id IS NULL AND assignee_team_id IS NULL;
  `.execute(db);
}
