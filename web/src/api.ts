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

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
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

export interface Channel {
  id: string;
  type: string;
  name: string;
  owner: { type: 'user' | 'team' | 'workspace'; id?: string | null };
  status: string;
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
    const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(
      response.status,
      error?.code ?? 'error',
      error?.message ?? `the server answered ${response.status}`,
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
    members: () => call<{ items: Member[] }>('GET', '/members'),
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
    channels: () => call<{ items: Channel[] }>('GET', '/channels'),
    workspace: () => call<{ workspace: { id: string; name: string } }>('GET', ''),
  };
}

export type WorkspaceApi = ReturnType<typeof workspaceApi>;
