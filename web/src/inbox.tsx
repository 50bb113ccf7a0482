import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Chat } from './api.js';
import type { WorkspaceContext } from './app.js';
import { assigneeName, timeLabel, errorText } from './format.js';

/** Mine / Unassigned / All / one team: the list's `assignee` and `teamId` filters. */
type Filter =
  { kind: 'mine' } | { kind: 'unassigned' } | { kind: 'all' } | { kind: 'team'; id: string };

const query = (f: Filter): Record<string, string | undefined> =>
  f.kind === 'mine'
    ? { assignee: 'me' }
    : f.kind === 'unassigned'
      ? { assignee: 'unassigned' }
      : f.kind === 'team'
        ? { teamId: f.id }
        : {};

const PAGE = 30;
/** The stream says nothing to a user who just lost a chat: the list is re-read this often. */
const REFRESH_MS = 5000;

/**
 * The chats this user may see, newest activity first, as the API lists them (so it can show
 * nothing the policy denies). Live: any event refreshes the list's first pages and the badges
 * (a moved chat goes to the top); a periodic re-read drops chats the user no longer sees.
 */
export function Inbox(props: { ctx: WorkspaceContext; selected: string | null }) {
  const { ctx } = props;
  const { api, subscribe } = ctx;
  const [filter, setFilter] = useState<Filter>({ kind: 'all' });
  const [items, setItems] = useState<Chat[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [counts, setCounts] = useState<{ mine: number; unassigned: number; all: number } | null>(
    null,
  );
  const state = useRef({ filter, count: 0, generation: 0 });
  state.current.filter = filter;
  state.current.count = items.length;

  /** Re-reads the first pages (as many as are shown, up to 200) and the badges. */
  const refresh = useCallback(async () => {
    const generation = ++state.current.generation;
    const limit = Math.min(200, Math.max(PAGE, state.current.count));
    try {
      const [page, c] = await Promise.all([
        api.chats({ ...query(state.current.filter), limit: String(limit) }),
        api.counts(),
      ]);
      if (generation !== state.current.generation) return;
      setItems((shown) => {
        if (shown.length <= limit) return page.items;
        const first = new Set(page.items.map((i) => i.id));
        return [...page.items, ...shown.slice(limit).filter((i) => !first.has(i.id))];
      });
      if (state.current.count <= limit) setCursor(page.nextCursor);
      setCounts(c);
      setError(null);
    } catch (e) {
      if (generation === state.current.generation) setError(errorText(e));
    }
  }, [api]);

  const loadMore = useCallback(async () => {
    if (!cursor || loading) return;
    setLoading(true);
    const generation = state.current.generation;
    try {
      const page = await api.chats({
        ...query(state.current.filter),
        limit: String(PAGE),
        cursor,
      });
      if (generation !== state.current.generation) return;
      setItems((shown) => {
        const ids = new Set(shown.map((i) => i.id));
        return [...shown, ...page.items.filter((i) => !ids.has(i.id))];
      });
      setCursor(page.nextCursor);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setLoading(false);
    }
  }, [api, cursor, loading]);

  // A new filter: start from its first page.
  useEffect(() => {
    setItems([]);
    setCursor(null);
    state.current.count = 0;
    void refresh();
  }, [filter, refresh]);

  // The stream (re)connected: catch up on what may have happened while it was away.
  useEffect(() => {
    if (ctx.reconnects > 1) void refresh();
  }, [ctx.reconnects, refresh]);

  // Live: events (debounced a little) and a periodic re-read.
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = subscribe(() => {
      clearTimeout(timer);
      timer = setTimeout(() => void refresh(), 100);
    });
    const every = setInterval(() => {
      if (document.visibilityState === 'visible') void refresh();
    }, REFRESH_MS);
    return () => {
      unsubscribe();
      clearTimeout(timer);
      clearInterval(every);
    };
  }, [subscribe, refresh]);

  // Infinite scroll: the sentinel at the end of the list loads the next page when seen.
  const sentinel = useRef<HTMLLIElement>(null);
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !cursor) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) void loadMore();
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [cursor, loadMore]);

  const same = (f: Filter) =>
    f.kind === filter.kind && (f.kind !== 'team' || (filter.kind === 'team' && f.id === filter.id));
  const filters: Array<{ filter: Filter; label: string; count?: number }> = [
    { filter: { kind: 'mine' }, label: 'Mine', count: counts?.mine },
    { filter: { kind: 'unassigned' }, label: 'Unassigned', count: counts?.unassigned },
    { filter: { kind: 'all' }, label: 'All', count: counts?.all },
    ...ctx.teams.map((t) => ({ filter: { kind: 'team' as const, id: t.id }, label: t.name })),
  ];

  return (
    <nav class="inbox" aria-label="Chats">
      <div class="filters" role="group" aria-label="Show">
        {filters.map((f) => (
          <button
            type="button"
            key={f.label + (f.filter.kind === 'team' ? f.filter.id : '')}
            aria-pressed={same(f.filter)}
            data-filter={f.filter.kind === 'team' ? `team:${f.filter.id}` : f.filter.kind}
            onClick={() => setFilter(f.filter)}
          >
            {f.label}
            {f.count !== undefined ? <span class="badge">{f.count}</span> : null}
          </button>
        ))}
      </div>
      {error ? <p role="alert">{error}</p> : null}
      <ul id="chat-list" class="chat-list" aria-busy={loading}>
        {items.map((c) => (
          <li key={c.id} data-chat-id={c.id} class={c.id === props.selected ? 'selected' : ''}>
            <a
              href={`#/chats/${encodeURIComponent(c.id)}`}
              aria-current={c.id === props.selected ? 'page' : undefined}
            >
              <span class="row">
                <strong class="contact">{c.contact.name}</strong>
                <time dateTime={c.lastMessageAt}>{timeLabel(c.lastMessageAt)}</time>
              </span>
              <span class="preview">{c.lastMessagePreview}</span>
              <span class="assignee">{assigneeName(ctx, c.assignee)}</span>
            </a>
          </li>
        ))}
        {items.length === 0 && !loading && !error ? <li class="none">No chats here.</li> : null}
        {cursor ? (
          <li ref={sentinel} class="more">
            <button type="button" onClick={() => void loadMore()} disabled={loading}>
              {loading ? 'Loading…' : 'Load more chats'}
            </button>
          </li>
        ) : null}
      </ul>
    </nav>
  );
}
