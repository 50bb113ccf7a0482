import { sql, type Kysely } from 'kysely';

/**
 * A version number per workspace that changes whenever anything access is decided from
 * changes: a membership's status, role or restrictions, a user's name, a team (name, parent,
 * status), team membership, a custom role or a role binding.
 *
 * Every API process keeps each workspace's access facts in memory and asks only for this number
 * per request (one indexed read instead of five queries and a rebuild of every principal); when
 * it differs, the facts are loaded again. The database bumps it, not the application, so no
 * code path that changes access can forget to, and every process sees the change as soon as it
 * commits — a revoked member is refused on the very next request, on every node.
 *
 * Row triggers: access changes are rare and small (a CSV import of a thousand members bumps the
 * row a thousand times in one transaction, a few milliseconds). Updates that touch none of the
 * facts (`memberships.last_seen_at`, written as people use the API) leave the version alone.
 * Bumping takes a FOR NO KEY UPDATE lock on the workspace row, which does not conflict with the
 * key-share locks that inserts referencing the workspace take: ingest never waits on it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE workspaces ADD COLUMN access_version bigint NOT NULL DEFAULT 0;

    CREATE FUNCTION bump_access_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        UPDATE workspaces SET access_version = access_version + 1 WHERE id = OLD.workspace_id;
      ELSE
        UPDATE workspaces SET access_version = access_version + 1 WHERE id = NEW.workspace_id;
      END IF;
      RETURN NULL;
    END $$;

    CREATE FUNCTION bump_access_version_of_user() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE workspaces SET access_version = access_version + 1
        WHERE id IN (SELECT workspace_id FROM memberships WHERE user_id = NEW.id);
      RETURN NULL;
    END $$;

    CREATE TRIGGER memberships_access_version AFTER INSERT OR DELETE ON memberships
      FOR EACH ROW EXECUTE FUNCTION bump_access_version();
    CREATE TRIGGER memberships_access_version_update AFTER UPDATE ON memberships
      FOR EACH ROW WHEN (
        OLD.status IS DISTINCT FROM NEW.status OR OLD.role IS DISTINCT FROM NEW.role
        OR OLD.restrictions IS DISTINCT FROM NEW.restrictions
      ) EXECUTE FUNCTION bump_access_version();

    CREATE TRIGGER teams_access_version AFTER INSERT OR DELETE ON teams
      FOR EACH ROW EXECUTE FUNCTION bump_access_version();
    CREATE TRIGGER teams_access_version_update AFTER UPDATE ON teams
      FOR EACH ROW WHEN (
        OLD.name IS DISTINCT FROM NEW.name OR OLD.parent_id IS DISTINCT FROM NEW.parent_id
        OR OLD.status IS DISTINCT FROM NEW.status
      ) EXECUTE FUNCTION bump_access_version();

    CREATE TRIGGER team_members_access_version AFTER INSERT OR UPDATE OR DELETE ON team_members
      FOR EACH ROW EXECUTE FUNCTION bump_access_version();
    CREATE TRIGGER roles_access_version AFTER INSERT OR UPDATE OR DELETE ON roles
      FOR EACH ROW EXECUTE FUNCTION bump_access_version();
    CREATE TRIGGER role_bindings_access_version AFTER INSERT OR UPDATE OR DELETE ON role_bindings
      FOR EACH ROW EXECUTE FUNCTION bump_access_version();

    CREATE TRIGGER users_access_version AFTER UPDATE ON users
      FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
      EXECUTE FUNCTION bump_access_version_of_user();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TRIGGER memberships_access_version ON memberships;
    DROP TRIGGER memberships_access_version_update ON memberships;
    DROP TRIGGER teams_access_version ON teams;
    DROP TRIGGER teams_access_version_update ON teams;
    DROP TRIGGER team_members_access_version ON team_members;
    DROP TRIGGER roles_access_version ON roles;
    DROP TRIGGER role_bindings_access_version ON role_bindings;
    DROP TRIGGER users_access_version ON users;
    DROP FUNCTION bump_access_version();
    DROP FUNCTION bump_access_version_of_user();
    ALTER TABLE workspaces DROP COLUMN access_version;
  `.execute(db);
}
