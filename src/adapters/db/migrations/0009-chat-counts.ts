import { sql, type Kysely } from 'kysely';

/**
 * Counters for the badges (mine / unassigned / all), kept by the database.
 *
 * Counting a Teammate's scope with `count(*)` reads every chat in it: 90–120 ms for 25k–69k
 * chats, ten times that at a million. Who sees a chat depends on its channel account's owner
 * and its assignee (and participants, few per user), so the counts live on those two axes:
 *
 * - `channel_chat_counts`: per channel account, its chats and its unassigned chats
 *   (≤ one row per account);
 * - `assigned_chat_counts`: per assignee (user or team) and channel account, the chats
 *   assigned there (only pairs that occur).
 *
 * A scope "accounts O or assignees A" then counts as Σ chats of O + Σ assigned to A on accounts
 * outside O, from a few hundred counter rows instead of every chat (`count-chats.ts`).
 *
 * Statement triggers on chat_assignments (transition tables: one statement per ingest batch or
 * revoke batch, not per row) apply every change, so the counters cannot drift from the rows.
 * Deltas are applied in key order, so two writers lock counter rows in the same order.
 * `chat_assignments` gains the chat's channel account (set with the row, never changed: a chat
 * does not move to another account, which a trigger on chats now enforces).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE chat_assignments ADD COLUMN channel_id text;
    UPDATE chat_assignments a SET channel_id = c.channel_id FROM chats c WHERE c.id = a.chat_id;
    ALTER TABLE chat_assignments ALTER COLUMN channel_id SET NOT NULL;

    CREATE OR REPLACE FUNCTION chat_assignments_for_new_chats() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO chat_assignments (chat_id, workspace_id, channel_id, last_message_at)
        SELECT id, workspace_id, channel_id, last_message_at FROM new_chats;
      RETURN NULL;
    END $$;

    CREATE FUNCTION chats_keep_channel() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'a chat never moves to another channel account (chat %)', OLD.id
        USING ERRCODE = 'check_violation';
    END $$;
    CREATE TRIGGER chats_keep_channel BEFORE UPDATE OF channel_id ON chats
      FOR EACH ROW WHEN (OLD.channel_id IS DISTINCT FROM NEW.channel_id)
      EXECUTE FUNCTION chats_keep_channel();

    CREATE TABLE channel_chat_counts (
      channel_id text COLLATE "C" PRIMARY KEY,
      workspace_id text NOT NULL,
      chats bigint NOT NULL,
      unassigned bigint NOT NULL
    );
    CREATE INDEX channel_chat_counts_workspace ON channel_chat_counts (workspace_id);

    CREATE TABLE assigned_chat_counts (
      workspace_id text NOT NULL,
      -- 'u': assigned to the user assignee_id; 't': to the team assignee_id.
      assignee_kind "char" NOT NULL CHECK (assignee_kind IN ('u', 't')),
      assignee_id text COLLATE "C" NOT NULL,
      channel_id text COLLATE "C" NOT NULL,
      chats bigint NOT NULL,
      PRIMARY KEY (workspace_id, assignee_kind, assignee_id, channel_id)
    );

    INSERT INTO channel_chat_counts (channel_id, workspace_id, chats, unassigned)
      SELECT channel_id, workspace_id, count(*), count(*) FILTER (WHERE user_id IS NULL AND team_id IS NULL)
      FROM chat_assignments GROUP BY channel_id, workspace_id;
    INSERT INTO assigned_chat_counts (workspace_id, assignee_kind, assignee_id, channel_id, chats)
      SELECT workspace_id, CASE WHEN user_id IS NOT NULL THEN 'u' ELSE 't' END,
             coalesce(user_id, team_id), channel_id, count(*)
      FROM chat_assignments WHERE user_id IS NOT NULL OR team_id IS NOT NULL
      GROUP BY 1, 2, 3, 4;

    CREATE FUNCTION chat_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      -- Each changed row once with +1 (as it is now) and once with -1 (as it was).
      changed text := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT workspace_id, channel_id, user_id, team_id, 1 AS s FROM new_rows'
        WHEN 'DELETE' THEN 'SELECT workspace_id, channel_id, user_id, team_id, -1 AS s FROM old_rows'
        ELSE 'SELECT n.workspace_id, n.channel_id, n.user_id, n.team_id, 1 AS s FROM new_rows n
                JOIN old_rows o ON o.chat_id = n.chat_id
                WHERE n.user_id IS DISTINCT FROM o.user_id OR n.team_id IS DISTINCT FROM o.team_id
              UNION ALL
              SELECT o.workspace_id, o.channel_id, o.user_id, o.team_id, -1 FROM old_rows o
                JOIN new_rows n ON n.chat_id = o.chat_id
                WHERE n.user_id IS DISTINCT FROM o.user_id OR n.team_id IS DISTINCT FROM o.team_id'
      END;
    BEGIN
      EXECUTE format($q$
        INSERT INTO channel_chat_counts AS t (channel_id, workspace_id, chats, unassigned)
          SELECT * FROM (
            SELECT channel_id, workspace_id,
                   -- A chat keeps its account: an update moves nothing but the unassigned count.
                   CASE WHEN %L = 'UPDATE' THEN 0 ELSE sum(s) END AS chats,
                   coalesce(sum(s) FILTER (WHERE user_id IS NULL AND team_id IS NULL), 0) AS unassigned
            FROM (%s) d GROUP BY channel_id, workspace_id
          ) g WHERE chats <> 0 OR unassigned <> 0
          ORDER BY channel_id
        ON CONFLICT (channel_id) DO UPDATE
          SET chats = t.chats + excluded.chats, unassigned = t.unassigned + excluded.unassigned
      $q$, TG_OP, changed);
      EXECUTE format($q$
        INSERT INTO assigned_chat_counts AS t (workspace_id, assignee_kind, assignee_id, channel_id, chats)
          SELECT workspace_id, CASE WHEN user_id IS NOT NULL THEN 'u' ELSE 't' END,
                 coalesce(user_id, team_id), channel_id, sum(s)
          FROM (%s) d WHERE user_id IS NOT NULL OR team_id IS NOT NULL
          GROUP BY 1, 2, 3, 4 HAVING sum(s) <> 0 ORDER BY 1, 2, 3, 4
        ON CONFLICT (workspace_id, assignee_kind, assignee_id, channel_id) DO UPDATE
          SET chats = t.chats + excluded.chats
      $q$, changed);
      RETURN NULL;
    END $$;

    CREATE TRIGGER chat_assignments_counts_insert AFTER INSERT ON chat_assignments
      REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION chat_counts_follow();
    CREATE TRIGGER chat_assignments_counts_update AFTER UPDATE ON chat_assignments
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION chat_counts_follow();
    CREATE TRIGGER chat_assignments_counts_delete AFTER DELETE ON chat_assignments
      REFERENCING OLD TABLE AS old_rows
      FOR EACH STATEMENT EXECUTE FUNCTION chat_counts_follow();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TRIGGER chat_assignments_counts_insert ON chat_assignments;
    DROP TRIGGER chat_assignments_counts_update ON chat_assignments;
    DROP TRIGGER chat_assignments_counts_delete ON chat_assignments;
    DROP FUNCTION chat_counts_follow();
    DROP TABLE assigned_chat_counts;
    DROP TABLE channel_chat_counts;
    DROP TRIGGER chats_keep_channel ON chats;
    DROP FUNCTION chats_keep_channel();
    CREATE OR REPLACE FUNCTION chat_assignments_for_new_chats() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO chat_assignments (chat_id, workspace_id, last_message_at)
        SELECT id, workspace_id, last_message_at FROM new_chats;
      RETURN NULL;
    END $$;
    ALTER TABLE chat_assignments DROP COLUMN channel_id;
  `.execute(db);
}
