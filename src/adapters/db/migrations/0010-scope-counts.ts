import { sql, type Kysely } from 'kysely';

/**
 * One counter per broad scope, for the badges of a large team.
 *
 * With the counters of migration 0009, "all chats a Teammate of a 300-member team may see" is
 * the chats of the team's accounts (a few hundred per-account rows) plus the chats assigned to
 * its members on other accounts — one row per (assignee, account) pair, ~100,000 rows at a
 * million chats. That second sum is kept here per scope instead: `scope_counts` holds, for a
 * scope's assignees A and account owners O (`scope_count_subjects`), the number of chats
 * assigned into A on an account whose owner is not in O. Every teammate of a team shares one
 * scope (their sets are the same), so a workspace has about one per team.
 *
 * A scope is registered when its badges are first asked for (`count-chats.ts`): the row is
 * committed first, so every later change applies its delta, then its value is computed under a
 * SHARE lock on chat_assignments (no write in flight) and overwrites whatever deltas arrived in
 * between. Sets never change: a change of team membership makes a new scope, and scopes unused
 * for a day are dropped. A channel account that changes owner (or goes) changes which chats
 * every scope counts: its workspace's scopes are dropped and registered afresh on demand.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE scope_counts (
      id text COLLATE "C" PRIMARY KEY,
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      assigned_elsewhere bigint NOT NULL DEFAULT 0,
      ready boolean NOT NULL DEFAULT false,
      used_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX scope_counts_workspace ON scope_counts (workspace_id, used_at);

    CREATE TABLE scope_count_subjects (
      scope_id text COLLATE "C" NOT NULL REFERENCES scope_counts(id) ON DELETE CASCADE,
      -- 'a': an assignee of the scope; 'o': an owner of accounts in the scope.
      role "char" NOT NULL CHECK (role IN ('a', 'o')),
      -- 'u:<user id>' or 't:<team id>'.
      subject text COLLATE "C" NOT NULL,
      PRIMARY KEY (role, subject, scope_id)
    );
    CREATE INDEX scope_count_subjects_scope ON scope_count_subjects (scope_id);

    CREATE FUNCTION scope_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      changed text := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT channel_id, user_id, team_id, 1 AS s FROM new_rows'
        WHEN 'DELETE' THEN 'SELECT channel_id, user_id, team_id, -1 AS s FROM old_rows'
        ELSE 'SELECT n.channel_id, n.user_id, n.team_id, 1 AS s FROM new_rows n
                JOIN old_rows o ON o.chat_id = n.chat_id
                WHERE n.user_id IS DISTINCT FROM o.user_id OR n.team_id IS DISTINCT FROM o.team_id
              UNION ALL
              SELECT o.channel_id, o.user_id, o.team_id, -1 FROM old_rows o
                JOIN new_rows n ON n.chat_id = o.chat_id
                WHERE n.user_id IS DISTINCT FROM o.user_id OR n.team_id IS DISTINCT FROM o.team_id'
      END;
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM scope_counts) THEN
        RETURN NULL;
      END IF;
      -- Per scope: changed chats assigned into its assignees, on accounts it does not own.
      -- Scope rows are locked in id order, so two writers never wait on each other crosswise.
      EXECUTE format($q$
        WITH d AS (%s),
        hits AS (
          SELECT a.scope_id, sum(d.s) AS n
          FROM d
          JOIN channel_accounts ca ON ca.id = d.channel_id
          JOIN scope_count_subjects a ON a.role = 'a'
            AND a.subject = CASE WHEN d.user_id IS NOT NULL THEN 'u:' || d.user_id ELSE 't:' || d.team_id END
          WHERE (d.user_id IS NOT NULL OR d.team_id IS NOT NULL)
            AND NOT EXISTS (
              SELECT 1 FROM scope_count_subjects o
              WHERE o.role = 'o' AND o.scope_id = a.scope_id
                AND o.subject = CASE ca.owner_type WHEN 'user' THEN 'u:' || ca.owner_user_id
                                                   WHEN 'team' THEN 't:' || ca.owner_team_id END)
          GROUP BY a.scope_id HAVING sum(d.s) <> 0
        ),
        locked AS (
          SELECT s.id FROM scope_counts s WHERE s.id IN (SELECT scope_id FROM hits)
          ORDER BY s.id FOR UPDATE
        )
        UPDATE scope_counts s SET assigned_elsewhere = s.assigned_elsewhere + hits.n
        FROM hits, locked WHERE s.id = hits.scope_id AND locked.id = s.id
      $q$, changed);
      RETURN NULL;
    END $$;

    CREATE TRIGGER chat_assignments_scope_counts_insert AFTER INSERT ON chat_assignments
      REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION scope_counts_follow();
    CREATE TRIGGER chat_assignments_scope_counts_update AFTER UPDATE ON chat_assignments
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION scope_counts_follow();
    CREATE TRIGGER chat_assignments_scope_counts_delete AFTER DELETE ON chat_assignments
      REFERENCING OLD TABLE AS old_rows
      FOR EACH STATEMENT EXECUTE FUNCTION scope_counts_follow();

    CREATE FUNCTION scope_counts_forget() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM scope_counts WHERE workspace_id = OLD.workspace_id;
      RETURN OLD; -- a BEFORE DELETE trigger: the account still goes
    END $$;
    CREATE TRIGGER channel_accounts_scope_counts_owner AFTER UPDATE ON channel_accounts
      FOR EACH ROW WHEN (
        OLD.owner_type IS DISTINCT FROM NEW.owner_type
        OR OLD.owner_user_id IS DISTINCT FROM NEW.owner_user_id
        OR OLD.owner_team_id IS DISTINCT FROM NEW.owner_team_id
      ) EXECUTE FUNCTION scope_counts_forget();
    CREATE TRIGGER channel_accounts_scope_counts_delete BEFORE DELETE ON channel_accounts
      FOR EACH ROW EXECUTE FUNCTION scope_counts_forget();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TRIGGER chat_assignments_scope_counts_insert ON chat_assignments;
    DROP TRIGGER chat_assignments_scope_counts_update ON chat_assignments;
    DROP TRIGGER chat_assignments_scope_counts_delete ON chat_assignments;
    DROP TRIGGER channel_accounts_scope_counts_owner ON channel_accounts;
    DROP TRIGGER channel_accounts_scope_counts_delete ON channel_accounts;
    DROP FUNCTION scope_counts_follow();
    DROP FUNCTION scope_counts_forget();
    DROP TABLE scope_count_subjects;
    DROP TABLE scope_counts;
  `.execute(db);
}
