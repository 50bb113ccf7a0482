import { useRef, useState } from 'preact/hooks';
import type { Chat, Decision, Message } from './api.js';
import type { WorkspaceContext } from './app.js';

/** What a user may do in a chat, each shown only where the server allows it (see chat.tsx). */

export function AssignForm(props: {
  ctx: WorkspaceContext;
  chat: Chat;
  onAssigned: (chat: Chat) => void;
}) {
  const { ctx, chat } = props;
  const current = chat.assignee ? `${chat.assignee.type}:${chat.assignee.id}` : '';
  const [to, setTo] = useState(current);
  const [error, setError] = useState<string | null>(null);
  const members = ctx.members.filter((m) => m.status === 'active' && m.user.id);
  async function submit(e: Event) {
    e.preventDefault();
    const [type, id] = to.split(':');
    try {
      const r = await ctx.api.assign(
        chat.id,
        type === 'user' || type === 'team' ? { type, id: id ?? '' } : null,
      );
      props.onAssigned(r.chat);
      setError(null);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }
  return (
    <form class="inline" onSubmit={(e) => void submit(e)}>
      <label>
        Assign to
        <select value={to} onChange={(e) => setTo(e.currentTarget.value)}>
          <option value="">Nobody (unassigned)</option>
          <option value={`user:${ctx.session.userId}`}>Me</option>
          {members
            .filter((m) => m.user.id !== ctx.session.userId)
            .map((m) => (
              <option key={m.user.id} value={`user:${m.user.id ?? ''}`}>
                {m.user.name}
              </option>
            ))}
          {ctx.teams.map((t) => (
            <option key={t.id} value={`team:${t.id}`}>
              Team {t.name}
            </option>
          ))}
        </select>
      </label>
      <button type="submit">Assign</button>
      {error ? <p role="alert">{error}</p> : null}
    </form>
  );
}

/**
 * The accounts offered: the chat's own account when the server says this user may reply
 * through it, plus the accounts the user connected themselves (the API does not list which
 * other accounts a user may send through; a refusal explains itself). An Agent thus sees
 * only their own accounts.
 */
export function ReplyBox(props: {
  ctx: WorkspaceContext;
  chat: Chat;
  reply: Decision;
  onSent: (m: Message) => void;
}) {
  const { ctx, chat, reply } = props;
  const own = ctx.channels.filter(
    (c) => c.owner.type === 'user' && c.owner.id === ctx.session.userId,
  );
  const offered: Array<{ id: string; name: string }> = [];
  if (reply.level !== 'none') {
    if (reply.allowed)
      offered.push({
        id: chat.channelId,
        name: ctx.channels.find((c) => c.id === chat.channelId)?.name ?? 'This chat’s account',
      });
    for (const c of own) if (c.id !== chat.channelId) offered.push({ id: c.id, name: c.name });
  }
  const [text, setText] = useState('');
  const [via, setVia] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const box = useRef<HTMLTextAreaElement>(null);
  if (offered.length === 0) return <p class="hint">You may read this chat but not answer it.</p>;
  const channelId = offered.some((o) => o.id === via) ? via : (offered[0]?.id ?? '');

  async function send(e?: Event) {
    e?.preventDefault();
    if (!text.trim() || busy) return;
    setBusy(true);
    try {
      const r = await ctx.api.reply(chat.id, text.trim(), channelId);
      props.onSent(r.message);
      setText('');
      setError(null);
      box.current?.focus();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="reply" onSubmit={(e) => void send(e)}>
      <label>
        Send through
        <select name="channel" value={channelId} onChange={(e) => setVia(e.currentTarget.value)}>
          {offered.map((o) => (
            <option key={o.id} value={o.id}>
              {o.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Your reply
        <textarea
          ref={box}
          name="reply"
          rows={3}
          required
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void send();
          }}
        />
      </label>
      {error ? <p role="alert">{error}</p> : null}
      <button type="submit" disabled={busy}>
        Send
      </button>
    </form>
  );
}

export function RateForm(props: { ctx: WorkspaceContext; chatId: string }) {
  const [score, setScore] = useState('5');
  const [comment, setComment] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  async function submit(e: Event) {
    e.preventDefault();
    try {
      await props.ctx.api.rate(props.chatId, Number(score), comment.trim());
      setDone(`Rated ${score} of 5`);
      setError(null);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }
  if (done) return <p role="status">{done}</p>;
  return (
    <form class="inline" onSubmit={(e) => void submit(e)}>
      <label>
        Rating
        <select value={score} onChange={(e) => setScore(e.currentTarget.value)}>
          {['5', '4', '3', '2', '1'].map((n) => (
            <option key={n} value={n}>
              {n} of 5
            </option>
          ))}
        </select>
      </label>
      <label>
        Comment
        <input
          value={comment}
          maxLength={2000}
          onInput={(e) => setComment(e.currentTarget.value)}
        />
      </label>
      <button type="submit">Rate</button>
      {error ? <p role="alert">{error}</p> : null}
    </form>
  );
}
