import type {
  ChannelAccountsTable,
  ContactsTable,
  RoutingCursorsTable,
  RoutingRulesTable,
  WhatsappSessionsTable,
} from './tables/channels.table.js';
import type {
  AssignedChatCountsTable,
  ChannelChatCountsTable,
  ChatAssignmentsTable,
  ScopeCountsTable,
  ScopeCountSubjectsTable,
  ChatParticipantsTable,
  ChatsTable,
  CrmGrantsTable,
  MessagesTable,
  RatingsTable,
} from './tables/chats.table.js';
import type {
  JobsTable,
  OutboxTable,
  WebhookDeliveriesTable,
  WebhooksTable,
} from './tables/ops.table.js';
import type {
  ApiTokensTable,
  InvitationsTable,
  MembershipsTable,
  OrganizationMembersTable,
  RoleBindingsTable,
  RolesTable,
  UsersTable,
} from './tables/people.table.js';
import type {
  AuditLogTable,
  IntegrationsTable,
  IntegrationUsersTable,
  CrmRecordsTable,
  SignedRequestReplaysTable,
  OrganizationsTable,
  TeamMembersTable,
  TeamTreeTable,
  TeamsTable,
  WorkspacesTable,
} from './tables/tenancy.table.js';

/** The database as kysely sees it. Row types live in `tables/*.table.ts`, apart from domain types. */
export interface DB {
  organizations: OrganizationsTable;
  workspaces: WorkspacesTable;
  teams: TeamsTable;
  team_tree: TeamTreeTable;
  team_members: TeamMembersTable;
  users: UsersTable;
  organization_members: OrganizationMembersTable;
  memberships: MembershipsTable;
  invitations: InvitationsTable;
  roles: RolesTable;
  role_bindings: RoleBindingsTable;
  api_tokens: ApiTokensTable;
  channel_accounts: ChannelAccountsTable;
  whatsapp_sessions: WhatsappSessionsTable;
  contacts: ContactsTable;
  chats: ChatsTable;
  chat_assignments: ChatAssignmentsTable;
  channel_chat_counts: ChannelChatCountsTable;
  assigned_chat_counts: AssignedChatCountsTable;
  scope_counts: ScopeCountsTable;
  scope_count_subjects: ScopeCountSubjectsTable;
  chat_participants: ChatParticipantsTable;
  messages: MessagesTable;
  ratings: RatingsTable;
  crm_grants: CrmGrantsTable;
  routing_rules: RoutingRulesTable;
  routing_cursors: RoutingCursorsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  jobs: JobsTable;
  outbox: OutboxTable;
  audit_log: AuditLogTable;
  integrations: IntegrationsTable;
  integration_users: IntegrationUsersTable;
  crm_records: CrmRecordsTable;
  signed_request_replays: SignedRequestReplaysTable;
}
