/**
 * The page's only way to the server: the public REST API (shared/API.md) with the signed-in
 * user's bearer token. Everything it shows came through here (or the event stream), already
 * decided and redacted by the server for this user.
 */
export interface Session {
  token: string;
  workspaceId: string;
  userId: string;
  name: string;
  email: string;
}

/** One problem of a refused request (`invalid_input` carries them): where, and what, as worded. */
export interface ErrorDetail {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: readonly ErrorDetail[] = [],
  ) {
    super(message);
  }
}

export interface Chat {
  id: string;
  channelId: string;
  externalId: string;
  contact: { id: string; name: string; phone: string | null; email: string | null };
  assignee: { type: 'user' | 'team'; id: string } | null;
  lastMessageAt: string;
  lastMessagePreview: string;
  /** Who joined the chat beside its assignee (user ids): in a single chat's answer only. */
  participants?: string[];
}

export interface Message {
  id: string;
  direction: 'in' | 'out';
  text: string;
  authorUserId?: string;
  channelId: string;
  sentAt: string;
  status: string;
}

export interface Member {
  user: { id: string | null; email: string; name: string };
  role: string;
  status: 'pending' | 'active' | 'suspended' | 'revoked';
  teamIds: string[];
  restrictions: Record<string, unknown>;
  /** Present in the member list (GET …/members); absent where a member is embedded elsewhere. */
  online?: boolean;
  lastSeenAt?: string | null;
  invitationId?: string;
  /** Members in the member list: what the user may do to them (the server's member rules). */
  may?: {
    changeRole: boolean;
    restrict: boolean;
    suspend: boolean;
    reinstate: boolean;
    revoke: boolean;
  };
}

/** The restrictions an Owner or Admin may set on a member (PRODUCT.md §3.4). */
export interface Restrictions {
  chatVisibility?: 'team' | 'self';
  maskContactIdentifiers?: boolean;
  noWorkspaceSettings?: boolean;
  noContactDeletion?: boolean;
  noDataExport?: boolean;
  noIntegrations?: boolean;
  noChannelConnection?: boolean;
  noWorkflows?: boolean;
}

export interface Job {
  id: string;
  type: string;
  state: 'waiting' | 'active' | 'completed' | 'failed';
  progress: { done: number; total: number };
  result?: Record<string, unknown>;
}

export interface Me {
  user: { id: string; email: string; name: string };
  workspaces: Array<{
    id: string;
    name: string;
    role: string;
    status: string;
    /** The effective level of each permission there, as the server's policy derives it. */
    permissions: Record<string, string>;
  }>;
}

export interface Team {
  id: string;
  name: string;
  parentId: string | null;
  status: string;
}

/** A routing rule's condition (src/core/routing/rules.ts): every one must hold. */
export type RoutingCondition =
  | { kind: 'channel'; channelIds: string[] }
  | { kind: 'contact_field'; field: string; op: 'equals' | 'contains'; value: string }
  | { kind: 'contact_field'; field: string; op: 'is_set' }
  | { kind: 'keyword'; keyword: string }
  | { kind: 'regex'; pattern: string; caseSensitive: boolean };

/** A routing rule as sent (create, replace). */
export interface RoutingRuleInput {
  name: string;
  enabled: boolean;
  conditions: RoutingCondition[];
  target: { type: 'team'; teamId: string } | { type: 'user'; userId: string };
  strategy: 'round_robin' | 'least_open' | 'sticky';
  stickyFallback: 'least_open' | 'round_robin';
}

/** A routing rule as listed: tried in ascending `position`. */
export interface RoutingRule extends RoutingRuleInput {
  id: string;
  position: number;
}

export interface Channel {
  id: string;
  type: string;
  name: string;
  owner: { type: 'user' | 'team' | 'workspace'; id?: string | null };
  status: string;
  /** What the server's policy lets this user do with the account. */
  may: { edit: boolean; connect: boolean; use: boolean };
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Decision {
  allowed: boolean;
  level: string;
  reasons: string[];
}

/** Calls the API as `token`; a non-2xx reply becomes an `ApiError` with the server's code. */
export async function request<T>(
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const json: unknown = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    const error = (
      json as { error?: { code?: string; message?: string; details?: ErrorDetail[] } } | undefined
    )?.error;
    throw new ApiError(
      response.status,
      error?.code ?? 'error',
      error?.message ?? `the server answered ${response.status}`,
      Array.isArray(error?.details) ? error.details : [],
    );
  }
  return json as T;
}

/** The API of one workspace, as the signed-in user. */
export function workspaceApi(session: Session) {
  const ws = `/v1/workspaces/${encodeURIComponent(session.workspaceId)}`;
  const call = <T>(method: string, path: string, body?: unknown) =>
    request<T>(session.token, method, `${ws}${path}`, body);
  return {
    chats(query: Record<string, string | undefined>) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v) params.set(k, v);
      return call<Page<Chat>>('GET', `/chats?${params.toString()}`);
    },
    counts: () => call<{ mine: number; unassigned: number; all: number }>('GET', '/chats/counts'),
    chat: (id: string) => call<{ chat: Chat }>('GET', `/chats/${encodeURIComponent(id)}`),
    messages(id: string, cursor?: string | null) {
      const q = new URLSearchParams({ limit: '30' });
      if (cursor) q.set('cursor', cursor);
      return call<Page<Message>>(
        'GET',
        `/chats/${encodeURIComponent(id)}/messages?${q.toString()}`,
      );
    },
    reply: (id: string, text: string, channelId: string) =>
      call<{ message: Message }>('POST', `/chats/${encodeURIComponent(id)}/messages`, {
        text,
        channelId,
      }),
    assign: (id: string, to: { type: 'user' | 'team'; id: string } | null) =>
      call<{ chat: Chat }>('PUT', `/chats/${encodeURIComponent(id)}/assignee`, to),
    rate: (id: string, score: number, comment: string) =>
      call<unknown>('POST', `/chats/${encodeURIComponent(id)}/rating`, {
        score,
        ...(comment ? { comment } : {}),
      }),
    join: (id: string, userId: string) =>
      call<unknown>('POST', `/chats/${encodeURIComponent(id)}/participants`, { userId }),
    explain: (chatId: string, action: string) =>
      call<Decision>(
        'GET',
        `/access/explain?${new URLSearchParams({ userId: session.userId, chatId, action }).toString()}`,
      ),
    members: () =>
      call<{ items: Member[]; grantableRoles: Array<{ id: string; name: string }> }>(
        'GET',
        '/members',
      ),
    invite: (invitation: {
      email: string;
      name: string;
      role: string;
      teamIds: string[];
      restrictions: Restrictions;
    }) =>
      call<{ invitation: { id: string; email: string; role: string; token: string } }>(
        'POST',
        '/invitations',
        invitation,
      ),
    changeMember: (userId: string, change: { role?: string; restrictions?: Restrictions }) =>
      call<{ member: Member }>('PATCH', `/members/${encodeURIComponent(userId)}`, change),
    setMemberStatus: (userId: string, action: 'suspend' | 'reinstate') =>
      call<{ member: Member }>('POST', `/members/${encodeURIComponent(userId)}/${action}`),
    revoke: (userId: string, reassignTo: string | null) =>
      call<{ job: { id: string } }>(
        'POST',
        `/members/${encodeURIComponent(userId)}/revoke`,
        reassignTo ? { reassignTo } : {},
      ),
    job: (jobId: string) =>
      request<Job>(session.token, 'GET', `/v1/jobs/${encodeURIComponent(jobId)}`),
    me: () => request<Me>(session.token, 'GET', '/v1/me'),
    teams: () => call<{ items: Team[] }>('GET', '/teams'),
    createTeam: (team: { name: string; parentId: string | null }) =>
      call<{ team: Team }>('POST', '/teams', team),
    setTeamMember: (teamId: string, userId: string, member: boolean) =>
      call<undefined>(
        member ? 'PUT' : 'DELETE',
        `/teams/${encodeURIComponent(teamId)}/members/${encodeURIComponent(userId)}`,
      ),
    suspendTeam: (teamId: string) =>
      call<{ job: { id: string } }>('POST', `/teams/${encodeURIComponent(teamId)}/suspend`),
    deleteTeam: (teamId: string) =>
      call<{ job: { id: string } }>('DELETE', `/teams/${encodeURIComponent(teamId)}`),
    routingRules: () => call<{ items: RoutingRule[] }>('GET', '/routing-rules'),
    createRoutingRule: (rule: RoutingRuleInput) =>
      call<{ rule: RoutingRule }>('POST', '/routing-rules', rule),
    updateRoutingRule: (ruleId: string, rule: RoutingRuleInput) =>
      call<{ rule: RoutingRule }>('PUT', `/routing-rules/${encodeURIComponent(ruleId)}`, rule),
    deleteRoutingRule: (ruleId: string) =>
      call<undefined>('DELETE', `/routing-rules/${encodeURIComponent(ruleId)}`),
    reorderRoutingRules: (ids: string[]) =>
      call<{ items: RoutingRule[] }>('PUT', '/routing-rules/order', { ids }),
    channels: () =>
      call<{ items: Channel[]; connectOwners: Array<Channel['owner']> }>('GET', '/channels'),
    /** Connects a channel account; a webhook channel's inbound URL and secret come only here. */
    connectChannel: (channel: {
      type: 'webhook' | 'whatsapp';
      name: string;
      owner: { type: 'user' | 'team' | 'workspace'; id?: string };
      outboundUrl?: string;
    }) =>
      call<{ channel: Channel & { inbound?: { url: string; secret: string } } }>(
        'POST',
        '/channels',
        channel,
      ),
    channelQr: (id: string) =>
      call<{ status: string; qr?: string; detail?: string }>(
        'GET',
        `/channels/${encodeURIComponent(id)}/qr`,
      ),
    setChannelState: (id: string, action: 'disable' | 'reconnect') =>
      call<{ channel: Channel }>('POST', `/channels/${encodeURIComponent(id)}/${action}`),
    /** Who may view (or reply to) a chat: PRODUCT.md §3.7. */
    audience: (chatId: string, action: string) =>
      call<{ users: Array<{ id: string; email: string; name: string }> }>(
        'GET',
        `/chats/${encodeURIComponent(chatId)}/audience?${new URLSearchParams({ action }).toString()}`,
      ),
    /** "Can this member do this on this chat, and why" (asking about others needs users.manage). */
    explainFor: (userId: string, chatId: string, action: string) =>
      call<Decision>(
        'GET',
        `/access/explain?${new URLSearchParams({ userId, chatId, action }).toString()}`,
      ),
    workspace: () => call<{ workspace: { id: string; name: string } }>('GET', ''),
  };
}

export type WorkspaceApi = ReturnType<typeof workspaceApi>;
