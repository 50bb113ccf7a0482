import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import {
  ApiError,
  request,
  workspaceApi,
  type Member,
  type Session,
  type Team,
  type Channel,
} from './api.js';
import { clearSession, loadSession, saveSession } from './session.js';
import { openStream, type ChannelStatusEvent, type ChatEvent } from './stream.js';
import { SignIn } from './sign-in.js';
import { Inbox } from './inbox.js';
import { ChatView } from './chat.js';
import { MembersView } from './members.js';
import { TeamsView } from './teams.js';
import { ChannelsView } from './channels.js';
import { RoutingView } from './routing.js';
import { errorText } from './format.js';

/**
 * The views beside the inbox, each offered only when the server's policy gives this user the
 * permission it needs here (GET /v1/me carries the effective level of every permission): a
 * control the user may not use is absent. The server still decides every action.
 */
const VIEWS = [
  { path: '/members', name: 'Members', offered: (p: Permissions) => p['users.manage'] === 'all' },
  { path: '/teams', name: 'Teams', offered: (p: Permissions) => p['teams.manage'] === 'all' },
  {
    path: '/channels',
    name: 'Channels',
    offered: (p: Permissions) => (p['channel.view'] ?? 'none') !== 'none',
  },
  {
    path: '/routing',
    name: 'Routing',
    offered: (p: Permissions) => p['settings.manage'] === 'all',
  },
] as const;
type Permissions = Record<string, string>;
type ViewPath = (typeof VIEWS)[number]['path'];

/** `#/…`: the part of the address the page routes on (the server never sees it). */
function useHashRoute(): string {
  const [hash, setHash] = useState(location.hash.replace(/^#/, '') || '/');
  useEffect(() => {
    const onChange = () => setHash(location.hash.replace(/^#/, '') || '/');
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return hash;
}

export function App() {
  const [session, setSession] = useState<Session | null>(loadSession);
  const [notice, setNotice] = useState<string | null>(null);
  const route = useHashRoute();

  const signIn = (s: Session) => {
    saveSession(s);
    setSession(s);
    setNotice(null);
    // A link to a chat (`#/chats/…`, e.g. a CRM panel's "Open chat") followed signed out opens
    // that chat once signed in; a chat of another workspace than the one signed in to shows as
    // not available, like any chat the user may not see. Anything else lands in the inbox —
    // replaced, not pushed: an invitation token does not stay in the tab's history.
    if (!/^#\/chats\/[^/]+$/.test(location.hash)) location.replace('#/');
  };
  const signOut = (why?: string) => {
    clearSession();
    setSession(null);
    setNotice(why ?? null);
    location.hash = '#/';
  };

  const accept = /^\/accept\/(.+)$/.exec(route)?.[1];
  if (accept) return <AcceptInvitation token={decodeURIComponent(accept)} onSignedIn={signIn} />;
  if (!session) return <SignIn notice={notice} onSignedIn={signIn} />;
  const chatId = /^\/chats\/(.+)$/.exec(route)?.[1];
  return (
    <Workspace
      key={`${session.workspaceId}:${session.userId}`}
      session={session}
      chatId={chatId ? decodeURIComponent(chatId) : null}
      view={VIEWS.find((v) => v.path === route)?.path ?? null}
      onSignOut={signOut}
    />
  );
}

/** Following an invitation link: accept it, then land in the inbox as the new member. */
function AcceptInvitation(props: { token: string; onSignedIn: (s: Session) => void }) {
  const [error, setError] = useState<string | null>(null);
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    request<{
      user: { id: string; email: string; name: string };
      workspaceId: string;
      token: string;
    }>(null, 'POST', '/v1/invitations/accept', { token: props.token })
      .then((r) =>
        props.onSignedIn({
          token: r.token,
          workspaceId: r.workspaceId,
          userId: r.user.id,
          name: r.user.name,
          email: r.user.email,
        }),
      )
      .catch((e: unknown) => setError(errorText(e)));
  }, [props]);
  return (
    <main class="centered">
      <h1>Joining the workspace</h1>
      {error ? (
        <p role="alert">
          This invitation could not be accepted: {error}. <a href="#/">Sign in instead</a>
        </p>
      ) : (
        <p role="status">Accepting your invitation…</p>
      )}
    </main>
  );
}

export type Listener = (event: ChatEvent) => void;

/** What the views share: the API, who is signed in, the people, teams and accounts. */
export interface WorkspaceContext {
  session: Session;
  api: ReturnType<typeof workspaceApi>;
  me: Member | undefined;
  members: Member[];
  teams: Team[];
  channels: Channel[];
  /** The effective level of each permission of this user here (GET /v1/me); {} until known. */
  permissions: Permissions;
  /** Reloads the teams and channels the views share (after one of them changed them). */
  refresh: () => void;
  subscribe: (listener: Listener) => () => void;
  /** Channel accounts' status and QR codes, live (only to those who may connect them). */
  subscribeChannels: (listener: (event: ChannelStatusEvent) => void) => () => void;
  /** Bumped when the stream (re)connects: views reload what they may have missed. */
  reconnects: number;
}

function Workspace(props: {
  session: Session;
  chatId: string | null;
  /** An admin view's path, or null for the inbox. */
  view: ViewPath | null;
  onSignOut: (why?: string) => void;
}) {
  const { session, onSignOut } = props;
  const api = useMemo(() => workspaceApi(session), [session]);
  const [members, setMembers] = useState<Member[]>([]);
  const [teams, setTeams] = useState<Team[]>([]);
  const [channels, setChannels] = useState<Channel[]>([]);
  const [workspaceName, setWorkspaceName] = useState('');
  /** This user's role here and whether the policy lets them manage users (GET /v1/me). */
  const [role, setRole] = useState<string | null>(null);
  const [permissions, setPermissions] = useState<Permissions>({});
  const [refreshes, setRefreshes] = useState(0);
  const [reconnects, setReconnects] = useState(0);
  const listeners = useRef(new Set<Listener>());
  const channelListeners = useRef(new Set<(event: ChannelStatusEvent) => void>());
  const signOut = useRef(onSignOut);
  signOut.current = onSignOut;

  useEffect(() => {
    if (refreshes === 0) return;
    void Promise.all([api.members(), api.teams(), api.channels()]).then(
      ([m, t, c]) => {
        setMembers(m.items);
        setTeams(t.items.filter((team) => team.status === 'active'));
        setChannels(c.items);
      },
      () => undefined,
    );
  }, [api, refreshes]);

  useEffect(() => {
    void Promise.all([api.workspace(), api.members(), api.teams(), api.channels()])
      .then(([w, m, t, c]) => {
        setWorkspaceName(w.workspace.name);
        setMembers(m.items);
        setTeams(t.items.filter((team) => team.status === 'active'));
        setChannels(c.items);
      })
      .catch((e: unknown) => {
        if (e instanceof ApiError && [401, 403, 404].includes(e.status))
          signOut.current('You were signed out: your access to this workspace ended.');
      });
    api.me().then(
      (me) => {
        const here = me.workspaces.find((w) => w.id === session.workspaceId);
        setRole(here?.role ?? null);
        setPermissions(here?.permissions ?? {});
      },
      () => setRole(null),
    );
    const stream = openStream(session.token, session.workspaceId, {
      onEvent: (event) => listeners.current.forEach((l) => l(event)),
      onChannelStatus: (event) => channelListeners.current.forEach((l) => l(event)),
      onOpen: () => setReconnects((n) => n + 1),
      onEnded: () => signOut.current('You were signed out: your access to this workspace ended.'),
    });
    return () => stream.close();
  }, [api, session]);

  const subscribe = useCallback((listener: Listener) => {
    listeners.current.add(listener);
    return () => void listeners.current.delete(listener);
  }, []);
  const subscribeChannels = useCallback((listener: (event: ChannelStatusEvent) => void) => {
    channelListeners.current.add(listener);
    return () => void channelListeners.current.delete(listener);
  }, []);

  const ctx: WorkspaceContext = {
    session,
    api,
    me: members.find((m) => m.user.id === session.userId),
    members,
    teams,
    channels,
    permissions,
    refresh: useCallback(() => setRefreshes((n) => n + 1), []),
    reconnects,
    subscribe,
    subscribeChannels,
  };

  const offered = VIEWS.filter((v) => v.offered(permissions));
  const page = offered.find((v) => v.path === props.view) ?? null;
  return (
    <div class={`layout ${page ? 'page-mode' : props.chatId ? 'has-chat' : ''}`}>
      <a class="skip" href={page ? '#page' : props.chatId ? '#chat' : '#chat-list'}>
        Skip to content
      </a>
      <header class="topbar" data-role={role ?? undefined}>
        <h1>
          {page ? page.name : 'Inbox'}
          <span class="ws">{workspaceName ? ` · ${workspaceName}` : ''}</span>
        </h1>
        {offered.length > 0 ? (
          <nav aria-label="Views" class="views">
            <a href="#/" aria-current={page ? undefined : 'page'}>
              Inbox
            </a>
            {offered.map((v) => (
              <a key={v.path} href={`#${v.path}`} aria-current={page === v ? 'page' : undefined}>
                {v.name}
              </a>
            ))}
          </nav>
        ) : null}
        <span class="who">
          {session.name || session.email}
          {ctx.me ? ` (${ctx.me.role})` : ''}
        </span>
        <button type="button" onClick={() => onSignOut()}>
          Sign out
        </button>
      </header>
      {page?.path === '/members' ? (
        <MembersView ctx={ctx} />
      ) : page?.path === '/teams' ? (
        <TeamsView ctx={ctx} />
      ) : page?.path === '/channels' ? (
        <ChannelsView ctx={ctx} />
      ) : page?.path === '/routing' ? (
        <RoutingView ctx={ctx} />
      ) : (
        <>
          <Inbox ctx={ctx} selected={props.chatId} />
          {props.chatId ? (
            <ChatView key={props.chatId} ctx={ctx} chatId={props.chatId} />
          ) : (
            <section class="chat-pane empty" aria-label="Chat">
              <p>Choose a chat to read and answer it.</p>
            </section>
          )}
        </>
      )}
    </div>
  );
}
