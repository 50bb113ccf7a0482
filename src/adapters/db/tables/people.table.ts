import type { CreatedAt, Generated, Json, JsonWithDefault, Timestamp } from './common.js';

/** A person, org-wide: the profile shown in every workspace they belong to. */
export interface UsersTable {
  id: string;
  /** Stored lower-cased; unique. Not editable (PRODUCT.md §2). */
  email: string;
  name: string;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export interface OrganizationMembersTable {
  organization_id: string;
  user_id: string;
  created_at: CreatedAt;
}

export type MembershipStatus = 'active' | 'suspended' | 'revoked';

/**
 * A user's place in one workspace. `role` is a built-in role key (`owner`,
 * `admin`, `teammate`, `agent`, `collaborator`) or a custom role's id.
 * Pending people are invitations, not memberships.
 */
export interface MembershipsTable {
  workspace_id: string;
  user_id: string;
  role: string;
  status: Generated<MembershipStatus>;
  /** Restrictions of PRODUCT.md §3.4: they only ever narrow the role. */
  restrictions: JsonWithDefault<Record<string, unknown>>;
  /** Most chats the router gives this user at once (least-open strategy); null: no cap. */
  capacity: number | null;
  last_seen_at: Timestamp | null;
  suspended_at: Timestamp | null;
  revoked_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export type InvitationStatus = 'pending' | 'accepted' | 'cancelled';

export interface InvitationsTable {
  id: string;
  workspace_id: string;
  email: string;
  name: string;
  role: string;
  team_ids: Generated<string[]>;
  restrictions: JsonWithDefault<Record<string, unknown>>;
  /** SHA-256 of the invitation token; the token itself is shown once. */
  token_hash: Buffer;
  status: Generated<InvitationStatus>;
  invited_by: string | null;
  expires_at: Timestamp;
  accepted_at: Timestamp | null;
  created_at: CreatedAt;
}

/** Custom roles (PRODUCT.md §3.5). Built-in roles are code, not rows. */
export interface RolesTable {
  id: string;
  workspace_id: string;
  name: string;
  /** Permission name → level, e.g. `{"chat.view": "team"}`. */
  permissions: Json<Record<string, string>>;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export type BindingSubject = 'user' | 'team';

export interface RoleBindingsTable {
  id: string;
  workspace_id: string;
  role_id: string;
  subject_type: BindingSubject;
  subject_id: string;
  created_by: string | null;
  created_at: CreatedAt;
}

/** Bearer tokens. Only the SHA-256 of a token is stored; the token is shown once. */
export interface ApiTokensTable {
  id: string;
  user_id: string;
  token_hash: Buffer;
  label: Generated<string>;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
  created_at: CreatedAt;
}
