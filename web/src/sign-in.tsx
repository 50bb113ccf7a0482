import { useState } from 'preact/hooks';
import { ApiError, request, type Session } from './api.js';
import { rememberWorkspace, rememberedWorkspace } from './session.js';

interface Me {
  user: { id: string; email: string; name: string };
  workspaces: Array<{ id: string; name: string; status: 'active' | 'suspended' }>;
}

/**
 * Sign-in with an API token: `GET /v1/me` says whose it is and which workspaces it opens; with
 * one active workspace the inbox opens at once, with several the user picks one (the last one
 * used in this tab is offered first).
 */
export function SignIn(props: { notice: string | null; onSignedIn: (s: Session) => void }) {
  const [token, setToken] = useState('');
  const [me, setMe] = useState<Me | null>(null);
  const [workspaceId, setWorkspaceId] = useState(rememberedWorkspace);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  function enter(who: Me, ws: string, secret: string) {
    rememberWorkspace(ws);
    props.onSignedIn({
      token: secret,
      workspaceId: ws,
      userId: who.user.id,
      name: who.user.name,
      email: who.user.email,
    });
  }

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const secret = token.trim();
      if (me) {
        enter(me, workspaceId, secret);
        return;
      }
      const who = await request<Me>(secret, 'GET', '/v1/me');
      const active = who.workspaces.filter((w) => w.status === 'active');
      if (active.length === 0) throw new Error('This token opens no workspace you may use.');
      if (active.length === 1) {
        enter(who, (active[0] as { id: string }).id, secret);
        return;
      }
      setMe({ ...who, workspaces: active });
      if (!active.some((w) => w.id === workspaceId)) setWorkspaceId(active[0]?.id ?? '');
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? 'That token is unknown or revoked.'
          : err instanceof Error
            ? err.message
            : String(err),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="centered">
      <h1>Sign in to the Switchboard inbox</h1>
      {props.notice ? <p role="alert">{props.notice}</p> : null}
      <form class="stack" onSubmit={(e) => void submit(e)}>
        <label>
          API token
          <input
            name="token"
            type="password"
            required
            autocomplete="off"
            value={token}
            readOnly={me !== null}
            onInput={(e) => setToken(e.currentTarget.value)}
          />
        </label>
        {me ? (
          <label>
            Workspace
            <select
              name="workspace"
              value={workspaceId}
              onChange={(e) => setWorkspaceId(e.currentTarget.value)}
            >
              {me.workspaces.map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        {error ? <p role="alert">{error}</p> : null}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : me ? 'Open the inbox' : 'Sign in'}
        </button>
      </form>
      <p class="hint">
        The token stays in this tab only and is forgotten when you sign out or close the tab.
      </p>
    </main>
  );
}
