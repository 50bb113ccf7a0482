import { sql, type Kysely } from 'kysely';

/**
 * Organizations, workspaces, the team tree, people and their access: PRODUCT.md §1–2 and the
 * role data of §3. Foreign keys carry `workspace_id` wherever a row points at another
 * workspace-scoped row, so the database itself refuses a cross-workspace reference.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE organizations (
      id text PRIMARY KEY,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE workspaces (
      id text PRIMARY KEY,
      organization_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      integration_secret text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX workspaces_organization ON workspaces (organization_id);

    CREATE TABLE users (
      id text PRIMARY KEY,
      email text NOT NULL UNIQUE CHECK (email = lower(email) AND position('@' in email) > 1),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE organization_members (
      organization_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
      user_id text NOT NULL REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (organization_id, user_id)
    );
    CREATE INDEX organization_members_user ON organization_members (user_id);

    CREATE TABLE teams (
      id text PRIMARY KEY,
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      parent_id text,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'deleted')),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (workspace_id, id),
      CHECK (parent_id IS DISTINCT FROM id),
      FOREIGN KEY (workspace_id, parent_id) REFERENCES teams (workspace_id, id)
    );
    CREATE INDEX teams_parent ON teams (workspace_id, parent_id);

    CREATE TABLE team_tree (
      workspace_id text NOT NULL,
      ancestor_id text NOT NULL,
      descendant_id text NOT NULL,
      depth integer NOT NULL CHECK (depth >= 0),
      PRIMARY KEY (ancestor_id, descendant_id),
      FOREIGN KEY (workspace_id, ancestor_id) REFERENCES teams (workspace_id, id) ON DELETE CASCADE,
      FOREIGN KEY (workspace_id, descendant_id) REFERENCES teams (workspace_id, id) ON DELETE CASCADE
    );
    CREATE INDEX team_tree_descendant ON team_tree (descendant_id, ancestor_id);

    CREATE TABLE memberships (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      user_id text NOT NULL REFERENCES users(id),
      role text NOT NULL CHECK (length(role) > 0),
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'revoked')),
      restrictions jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(restrictions) = 'object'),
      capacity integer CHECK (capacity IS NULL OR capacity >= 0),
      last_seen_at timestamptz,
      suspended_at timestamptz,
      revoked_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, user_id)
    );
    CREATE INDEX memberships_user ON memberships (user_id);

    CREATE TABLE team_members (
      workspace_id text NOT NULL,
      team_id text NOT NULL,
      user_id text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (team_id, user_id),
      FOREIGN KEY (workspace_id, team_id) REFERENCES teams (workspace_id, id) ON DELETE CASCADE,
      FOREIGN KEY (workspace_id, user_id) REFERENCES memberships (workspace_id, user_id) ON DELETE CASCADE
    );
    CREATE INDEX team_members_user ON team_members (workspace_id, user_id);

    CREATE TABLE invitations (
      id text PRIMARY KEY,
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      email text NOT NULL CHECK (email = lower(email)),
      name text NOT NULL,
      role text NOT NULL,
      team_ids text[] NOT NULL DEFAULT '{}',
      restrictions jsonb NOT NULL DEFAULT '{}',
      token_hash bytea NOT NULL UNIQUE,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'cancelled')),
      invited_by text REFERENCES users(id),
      expires_at timestamptz NOT NULL,
      accepted_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX invitations_one_pending ON invitations (workspace_id, email) WHERE status = 'pending';

    CREATE TABLE roles (
      id text PRIMARY KEY,
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      permissions jsonb NOT NULL CHECK (jsonb_typeof(permissions) = 'object'),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (workspace_id, id),
      UNIQUE (workspace_id, name)
    );

    CREATE TABLE role_bindings (
      id text PRIMARY KEY,
      workspace_id text NOT NULL,
      role_id text NOT NULL,
      subject_type text NOT NULL CHECK (subject_type IN ('user', 'team')),
      subject_id text NOT NULL,
      created_by text REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (workspace_id, role_id) REFERENCES roles (workspace_id, id) ON DELETE CASCADE,
      UNIQUE (workspace_id, role_id, subject_type, subject_id)
    );
    CREATE INDEX role_bindings_subject ON role_bindings (workspace_id, subject_type, subject_id);

    CREATE TABLE api_tokens (
      id text PRIMARY KEY,
      user_id text NOT NULL REFERENCES users(id),
      token_hash bytea NOT NULL UNIQUE,
      label text NOT NULL DEFAULT '',
      last_used_at timestamptz,
      revoked_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX api_tokens_user ON api_tokens (user_id);

    CREATE TABLE audit_log (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      organization_id text REFERENCES organizations(id) ON DELETE CASCADE,
      workspace_id text REFERENCES workspaces(id) ON DELETE CASCADE,
      actor_user_id text REFERENCES users(id),
      action text NOT NULL,
      target_type text NOT NULL,
      target_id text,
      before jsonb,
      after jsonb,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX audit_log_workspace_recent ON audit_log (workspace_id, created_at DESC, id DESC);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE audit_log, api_tokens, role_bindings, roles, invitations, team_members,
      memberships, team_tree, teams, organization_members, users, workspaces, organizations;
  `.execute(db);
}
