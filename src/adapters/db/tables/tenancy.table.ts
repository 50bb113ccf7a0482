import type { ColumnType } from 'kysely';
import type { CreatedAt, Generated, Json, JsonWithDefault } from './common.js';

export interface OrganizationsTable {
  id: string;
  name: string;
  created_at: CreatedAt;
}

export interface WorkspacesTable {
  id: string;
  organization_id: string;
  name: string;
  /** Secret that CRM panels sign their requests with (HMAC-SHA256). */
  integration_secret: string;
  /** Bumped by the database whenever access facts of the workspace change (migration 0008). */
  access_version: Generated<string>;
  created_at: CreatedAt;
}

export type TeamStatus = 'active' | 'suspended' | 'deleted';

/** Units under HQ. HQ itself is the workspace: it has no row here. */
export interface TeamsTable {
  id: string;
  workspace_id: string;
  parent_id: string | null;
  name: string;
  status: Generated<TeamStatus>;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

/**
 * Closure of the team tree: one row per (ancestor, descendant) pair including
 * each team with itself at depth 0, so "U's teams and their sub-teams" is one
 * indexed join.
 */
export interface TeamTreeTable {
  workspace_id: string;
  ancestor_id: string;
  descendant_id: string;
  depth: number;
}

export interface TeamMembersTable {
  workspace_id: string;
  team_id: string;
  user_id: string;
  created_at: CreatedAt;
}

export interface AuditLogTable {
  id: ColumnType<string, never, never>;
  organization_id: string | null;
  workspace_id: string | null;
  /** Null for the platform token or the system (jobs). */
  actor_user_id: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  before: Json<unknown> | null;
  after: Json<unknown> | null;
  /** Which door the action came through; null for the system's own jobs (migration 0014). */
  via: ColumnType<AuditVia | null, AuditVia | null | undefined, never>;
  created_at: CreatedAt;
}

export type AuditVia = 'api' | 'slack' | 'crm';

export type IntegrationType = 'slack' | 'crm' | 'pipedrive';

/** A Slack team or a CRM linked to a workspace (migration 0014). */
export interface IntegrationsTable {
  id: string;
  workspace_id: string;
  type: IntegrationType;
  name: string;
  /** The Slack team whose commands act on this workspace; one workspace per Slack team. */
  slack_team_id: string | null;
  config: JsonWithDefault<Record<string, unknown>>;
  /** A generic CRM's signing secret (migration 0015); null for other types. */
  secret: string | null;
  created_by: string | null;
  created_at: CreatedAt;
}

/** A CRM user id acting as a member (migration 0015). */
export interface IntegrationUsersTable {
  integration_id: string;
  crm_user_id: string;
  workspace_id: string;
  user_id: string;
  created_at: CreatedAt;
}

/** A CRM record linked to contacts and chats, and who may access it (migration 0015). */
export interface CrmRecordsTable {
  integration_id: string;
  workspace_id: string;
  record_type: string;
  record_id: string;
  contact_ids: ColumnType<string[], string[] | undefined, string[]>;
  chat_ids: ColumnType<string[], string[] | undefined, string[]>;
  user_ids: ColumnType<string[], string[] | undefined, string[]>;
  updated_at: CreatedAt;
}

/** Signatures of signed CRM requests seen lately: a second one is a replay (migration 0015). */
export interface SignedRequestReplaysTable {
  integration_id: string;
  signature: string;
  seen_at: CreatedAt;
}
