import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, type Decision } from './api.js';
import type { WorkspaceContext } from './app.js';
import './access-panel.css';
import { errorText } from './format.js';

/**
 * "Who can see this chat, and why can this person see it" (PRODUCT.md §3.7) inside a chat, for
 * those who manage users (`users.manage` at `all`; chat.tsx offers it to no one else): who may
 * view and who may reply (GET …/chats/:id/audience), and the decision with its reasons for a
 * member and an action (GET …/access/explain) — the server's own check, never a copy of it.
 */

const ACTIONS = [
  ['chat.view', 'See the chat'],
  ['chat.reply', 'Reply'],
  ['chat.assign', 'Assign it'],
  ['chat.join', 'Join it'],
  ['chat.rate', 'Rate it'],
] as const;

type Person = { id: string; email: string; name: string };

export function AccessPanel(props: { ctx: WorkspaceContext; chatId: string }) {
  const { ctx, chatId } = props;
  const [open, setOpen] = useState(false);
  const [audience, setAudience] = useState<{ view: Person[]; reply: Person[] } | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    Promise.all([
      ctx.api.audience(chatId, 'chat.view'),
      ctx.api.audience(chatId, 'chat.reply'),
    ]).then(
      ([view, reply]) => {
        setAudience({ view: view.users, reply: reply.users });
        setError(null);
      },
      (e: unknown) => setError(errorText(e)),
    );
  }, [ctx.api, chatId]);
  useEffect(() => {
    if (open) load();
  }, [open, load, ctx.reconnects]);
  // Who may see a chat changes with its assignee and participants: re-read on its events.
  useEffect(
    () =>
      open
        ? ctx.subscribe((event) => {
            if (event.chatId === chatId && event.type !== 'message.created') load();
          })
        : undefined,
    [ctx, open, chatId, load],
  );

  return (
    <section class="access-panel" aria-labelledby={`access-title-${chatId}`}>
      <h3 id={`access-title-${chatId}`}>
        <button
          type="button"
          class="secondary"
          aria-expanded={open}
          aria-controls={`access-body-${chatId}`}
          onClick={() => setOpen(!open)}
        >
          Who can see this chat, and why
        </button>
      </h3>
      {open ? (
        <div id={`access-body-${chatId}`} class="access-body">
          {error ? <p role="alert">{error}</p> : null}
          {!audience && !error ? <p role="status">Asking the server…</p> : null}
          {audience ? (
            <div class="audiences">
              <PeopleList
                id={`may-view-${chatId}`}
                title="May see it"
                action="chat.view"
                people={audience.view}
              />
              <PeopleList
                id={`may-reply-${chatId}`}
                title="May reply"
                action="chat.reply"
                people={audience.reply}
              />
            </div>
          ) : null}
          <ExplainForm ctx={ctx} chatId={chatId} />
        </div>
      ) : null}
    </section>
  );
}

function PeopleList(props: { id: string; title: string; action: string; people: Person[] }) {
  return (
    <div class="audience" data-action={props.action}>
      <h4 id={props.id}>
        {props.title} ({props.people.length})
      </h4>
      {props.people.length ? (
        <ul aria-labelledby={props.id}>
          {props.people.map((p) => (
            <li key={p.id} data-user-id={p.id}>
              {p.name} <span class="hint">{p.email}</span>
            </li>
          ))}
        </ul>
      ) : (
        <p class="hint">Nobody.</p>
      )}
    </div>
  );
}

function ExplainForm(props: { ctx: WorkspaceContext; chatId: string }) {
  const { ctx, chatId } = props;
  const people = ctx.members.filter((m) => m.user.id && m.status !== 'pending');
  const [userId, setUserId] = useState('');
  const [action, setAction] = useState<string>('chat.view');
  const [answer, setAnswer] = useState<{ who: string; action: string; d: Decision } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const chosen = people.some((m) => m.user.id === userId)
    ? userId
    : (people[0]?.user.id ?? ctx.session.userId);

  async function submit(e: Event) {
    e.preventDefault();
    try {
      const d = await ctx.api.explainFor(chosen, chatId, action);
      const m = people.find((p) => p.user.id === chosen);
      setAnswer({ who: m?.user.name || m?.user.email || 'This member', action, d });
      setError(null);
    } catch (err) {
      setAnswer(null);
      setError(err instanceof ApiError ? err.message : errorText(err));
    }
  }

  const label = (a: string) => ACTIONS.find(([key]) => key === a)?.[1].toLowerCase() ?? a;
  return (
    <form class="explain stack" aria-label="Explain a decision" onSubmit={(e) => void submit(e)}>
      <div class="inline">
        <label>
          Member
          <select name="userId" value={chosen} onChange={(e) => setUserId(e.currentTarget.value)}>
            {people.map((m) => (
              <option key={m.user.id} value={m.user.id ?? ''}>
                {m.user.name || m.user.email} ({m.role}
                {m.status === 'active' ? '' : `, ${m.status}`})
              </option>
            ))}
          </select>
        </label>
        <label>
          Action
          <select name="action" value={action} onChange={(e) => setAction(e.currentTarget.value)}>
            {ACTIONS.map(([key, text]) => (
              <option key={key} value={key}>
                {text} ({key})
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Explain</button>
      </div>
      {error ? <p role="alert">{error}</p> : null}
      {answer ? (
        <div
          class={`decision ${answer.d.allowed ? 'allowed' : 'denied'}`}
          data-allowed={String(answer.d.allowed)}
          role="status"
        >
          <p>
            <strong>{answer.d.allowed ? 'Allowed' : 'Denied'}:</strong> {answer.who}{' '}
            {answer.d.allowed ? 'may' : 'may not'} {label(answer.action)}
            {` (level “${answer.d.level}”).`}
          </p>
          <ol class="reasons" aria-label="Reasons">
            {answer.d.reasons.map((r, i) => (
              <li key={i}>{r}</li>
            ))}
          </ol>
        </div>
      ) : null}
    </form>
  );
}
