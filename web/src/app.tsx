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
import { openStream, type ChatEvent } from './stream.js';
import { SignIn } from './sign-in.js';
import { Inbox } from './inbox.js';
import { ChatView } from './chat.js';
import { MembersView } from './members.js';

/** Roles that manage users (PRODUCT.md: `users.manage`); only they are offered the members view. */

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
    // Replaced, not pushed: an invitation token does not stay in the tab's history.
    location.replace('#/');
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
      view={route === '/members' ? 'members' : 'inbox'}
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
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
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
  subscribe: (listener: Listener) => () => void;
  /** Bumped when the stream (re)connects: views reload what they may have missed. */
  reconnects: number;
}

function Workspace(props: {
  session: Session;
  chatId: string | null;
  view: 'inbox' | 'members';
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
  const [mayManage, setMayManage] = useState(false);
  const [reconnects, setReconnects] = useState(0);
  const listeners = useRef(new Set<Listener>());
  const signOut = useRef(onSignOut);
  signOut.current = onSignOut;

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
        setMayManage(here?.permissions['users.manage'] === 'all');
      },
      () => setRole(null),
    );
    const stream = openStream(session.token, session.workspaceId, {
      onEvent: (event) => listeners.current.forEach((l) => l(event)),
      onOpen: () => setReconnects((n) => n + 1),
      onEnded: () => signOut.current('You were signed out: your access to this workspace ended.'),
    });
    return () => stream.close();
  }, [api, session]);

  const subscribe = useCallback((listener: Listener) => {
    listeners.current.add(listener);
    return () => void listeners.current.delete(listener);
  }, []);

  const ctx: WorkspaceContext = {
    session,
    api,
    me: members.find((m) => m.user.id === session.userId),
    members,
    teams,
    channels,
    reconnects,
    subscribe,
  };

  const showMembers = props.view === 'members' && mayManage;
  return (
    <div class={`layout ${showMembers ? 'members-mode' : props.chatId ? 'has-chat' : ''}`}>
      <a class="skip" href={showMembers ? '#members' : props.chatId ? '#chat' : '#chat-list'}>
        Skip to content
      </a>
      <header class="topbar" data-role={role ?? undefined}>
        <h1>
          {showMembers ? 'Members' : 'Inbox'}
          <span class="ws">{workspaceName ? ` · ${workspaceName}` : ''}</span>
        </h1>
        {mayManage ? (
          <nav aria-label="Views" class="views">
            <a href="#/" aria-current={showMembers ? undefined : 'page'}>
              Inbox
            </a>
            <a href="#/members" aria-current={showMembers ? 'page' : undefined}>
              Members
            </a>
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
      {showMembers ? (
        <MembersView ctx={ctx} />
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
