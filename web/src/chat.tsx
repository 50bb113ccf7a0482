import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type Chat, type Decision, type Message } from './api.js';
import type { WorkspaceContext } from './app.js';
import { assigneeName, memberName, timeLabel, errorText } from './format.js';
import { AssignForm, RateForm, ReplyBox } from './chat-actions.js';
import { AccessPanel } from './access-panel.js';

const statusLabel: Record<string, string> = {
  pending: 'Sending',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Failed',
};

const denied: Decision = { allowed: false, level: 'none', reasons: [] };

/** Merges messages by id (newer copies win) and sorts them oldest first. */
function merge(shown: Message[], more: Message[]): Message[] {
  const byId = new Map(shown.map((m) => [m.id, m]));
  for (const m of more) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => a.sentAt.localeCompare(b.sentAt));
}

/**
 * One chat: its history (paged back), the contact as the API gives it (masked where the user
 * is restricted), the assignee, a reply box and assign / join. Which controls show is the
 * server's own decision for this user on this chat (`GET …/access/explain` about themselves);
 * a control the user may not use is absent.
 */
export function ChatView(props: { ctx: WorkspaceContext; chatId: string }) {
  const { ctx, chatId } = props;
  const { api, subscribe, session } = ctx;
  const [chat, setChat] = useState<Chat | null>(null);
  const [messages, setMessages] = useState<Message[]>([]);
  const [older, setOlder] = useState<string | null>(null);
  const [gone, setGone] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [may, setMay] = useState({ reply: denied, assign: denied, join: denied, rate: denied });

  const notFound = (e: unknown) => e instanceof ApiError && e.status === 404;
  // Opening a chat moves focus to it (at phone width the list it came from is hidden).
  const title = useRef<HTMLHeadingElement>(null);
  const loaded = chat !== null;
  const list = useRef<HTMLOListElement>(null);
  useEffect(() => {
    if (!loaded) return;
    title.current?.focus({ preventScroll: true });
    // Like any chat, it opens at its latest message.
    list.current?.lastElementChild?.scrollIntoView({ block: 'nearest' });
  }, [loaded]);

  /** Paging back starts from the first page read; later re-reads leave it where it is. */
  const pagedBack = useRef(false);
  const reload = useCallback(async () => {
    try {
      const [c, page] = await Promise.all([api.chat(chatId), api.messages(chatId)]);
      setChat(c.chat);
      setMessages((shown) => merge(shown, page.items));
      if (!pagedBack.current) {
        pagedBack.current = true;
        setOlder(page.nextCursor);
      }
    } catch (e) {
      if (notFound(e)) setGone(true);
      else setError(errorText(e));
    }
  }, [api, chatId]);

  useEffect(() => {
    void reload();
    const ask = (action: string) => api.explain(chatId, action).catch(() => denied);
    void Promise.all([
      ask('chat.reply'),
      ask('chat.assign'),
      ask('chat.join'),
      ask('chat.rate'),
    ]).then(([reply, assign, join, rate]) => setMay({ reply, assign, join, rate }));
  }, [api, chatId, reload, ctx.reconnects]);

  // Live: this chat's events — new messages, and each reply's delivery state as it moves
  // (`message.status_changed`) — merged in place. A slow re-read stays as the fallback for
  // anything missed while the stream reconnected, and notices a chat the user lost.
  useEffect(
    () =>
      subscribe((event) => {
        if (event.chatId !== chatId) return;
        // Events carry the chat as the list shows it: who joined comes from the chat's own read.
        setChat((shown) => ({ ...event.chat, participants: shown?.participants }));
        if (event.type === 'chat.participant_added') void reload();
        if (event.message) setMessages((shown) => merge(shown, [event.message as Message]));
      }),
    [subscribe, chatId, reload],
  );
  useEffect(() => {
    const every = setInterval(() => void reload(), 5000);
    return () => clearInterval(every);
  }, [reload]);

  async function loadOlder() {
    if (!older) return;
    try {
      const page = await api.messages(chatId, older);
      setMessages((shown) => merge(shown, page.items));
      setOlder(page.nextCursor);
    } catch (e) {
      setError(errorText(e));
    }
  }

  if (gone)
    return (
      <section id="chat" class="chat-pane" aria-label="Chat">
        <a class="back" href="#/">
          Back to chats
        </a>
        <p role="alert">This chat is not available to you.</p>
      </section>
    );
  if (!chat)
    return (
      <section id="chat" class="chat-pane" aria-label="Chat" aria-busy="true">
        <p role="status">{error ?? 'Loading the chat…'}</p>
      </section>
    );

  const joined = chat.participants?.includes(session.userId) ?? false;
  const assignedToMe = chat.assignee?.type === 'user' && chat.assignee.id === session.userId;
  return (
    <section id="chat" class="chat-pane" aria-labelledby="chat-title">
      <a class="back" href="#/">
        Back to chats
      </a>
      <header class="chat-head">
        <h2 id="chat-title" ref={title} tabIndex={-1}>
          {chat.contact.name}
        </h2>
        <dl class="contact">
          <dt>Phone</dt>
          <dd data-field="phone">{chat.contact.phone ?? '—'}</dd>
          <dt>Email</dt>
          <dd data-field="email">{chat.contact.email ?? '—'}</dd>
          <dt>Assignee</dt>
          <dd data-field="assignee">{assigneeName(ctx, chat.assignee)}</dd>
          {chat.participants?.length ? (
            <>
              <dt>Participants</dt>
              <dd data-field="participants">
                {chat.participants
                  .map((id) =>
                    id === session.userId
                      ? 'you'
                      : (ctx.members.find((m) => m.user.id === id)?.user.name ?? 'a former member'),
                  )
                  .join(', ')}
              </dd>
            </>
          ) : null}
        </dl>
        <div class="actions">
          {may.assign.allowed ? <AssignForm ctx={ctx} chat={chat} onAssigned={setChat} /> : null}
          {may.join.allowed && !assignedToMe && !joined ? (
            <button
              type="button"
              onClick={() =>
                void api
                  .join(chatId, session.userId)
                  .then(() => reload())
                  .catch((e: unknown) => setError(errorText(e)))
              }
            >
              Join this chat
            </button>
          ) : null}
          {may.rate.allowed ? <RateForm ctx={ctx} chatId={chatId} /> : null}
        </div>
        {/* Who can see it, and why: for those who manage users only (PRODUCT.md §3.7). */}
        {ctx.permissions['users.manage'] === 'all' ? (
          <AccessPanel ctx={ctx} chatId={chatId} />
        ) : null}
      </header>
      {error ? <p role="alert">{error}</p> : null}
      {older ? (
        <button type="button" class="older" onClick={() => void loadOlder()}>
          Load earlier messages
        </button>
      ) : null}
      <ol ref={list} class="messages" aria-label="Messages">
        {messages.map((m) => (
          <li key={m.id} class={`message ${m.direction}`} data-message-id={m.id}>
            <p class="text">{m.text}</p>
            <p class="meta">
              {m.direction === 'in' ? chat.contact.name : memberName(ctx, m.authorUserId)} ·{' '}
              <time dateTime={m.sentAt}>{timeLabel(m.sentAt)}</time>
              {m.direction === 'out' ? (
                <span class={`status ${m.status}`} data-status={m.status}>
                  {' '}
                  · {statusLabel[m.status] ?? m.status}
                </span>
              ) : null}
            </p>
          </li>
        ))}
      </ol>
      <ReplyBox
        ctx={ctx}
        chat={chat}
        reply={may.reply}
        onSent={(m) => setMessages((shown) => merge(shown, [m]))}
      />
    </section>
  );
}
