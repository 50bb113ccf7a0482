import { sql, type RawBuilder } from 'kysely';
import type { ChatSummary } from '../../../core/chats/chat-summary.js';
import { AppError } from '../../../core/errors.js';
import {
  planFor,
  type ChatBranch,
  type ChatListFilter,
  type FlatScope,
  type Principal,
  type ScopeTerm,
} from '../../../core/access/index.js';
import { PREPARED, type Database } from '../database.js';

/**
 * The list query: the chats a principal may view, newest activity first, keyset-paginated.
 *
 * Compiled from the same scope plan `check` evaluates: one top-N query per branch of the
 * plan, each answered from its own index (chat_assignments_user_recent, chats_channel_recent,
 * …) — per key through a LATERAL join when a branch covers several users, teams or
 * accounts — then UNIONed and cut to the page. Never one big OR over a global time index.
 */
export type ChatListItem = ChatSummary;

export interface ChatListPage {
  items: ChatListItem[];
  nextCursor: string | null;
}

export interface ListVisibleChatsInput {
  limit: number;
  cursor?: string | null;
  filter?: ChatListFilter;
}

interface Cursor {
  at: string;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.at, c.id])).toString('base64url');
}

export function decodeCursor(value: string): Cursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[0] === 'string' &&
      typeof parsed[1] === 'string' &&
      !Number.isNaN(Date.parse(parsed[0]))
    ) {
      return { at: parsed[0], id: parsed[1] };
    }
  } catch {
    // fall through
  }
  throw new AppError('invalid_input', 'the cursor is not one this server issued', {
    details: [{ path: 'query.cursor', message: 'malformed cursor' }],
  });
}

interface ListRow {
  id: string;
  channel_id: string;
  external_id: string;
  contact_id: string;
  contact_name: string;
  contact_phone: string | null;
  contact_email: string | null;
  assignee_user_id: string | null;
  assignee_team_id: string | null;
  last_message_at: Date;
  last_message_preview: string;
  cursor_at: string;
}

/** The page's SQL (one more row than the limit, to know whether a next page exists); undefined when nothing is in scope. */
export function visibleChatsQuery(
  p: Principal,
  input: ListVisibleChatsInput,
): RawBuilder<ListRow> | undefined {
  const plan = planFor(p, 'chat.view');
  if (plan.terms.length === 0) return undefined;
  const take = input.limit + 1;
  const cursor = input.cursor ? decodeCursor(input.cursor) : undefined;
  const filter = input.filter ?? {};

  const branches = plan.terms.map((term) => branchQuery(p, term, filter, cursor, take));
  const union = sql.join(
    branches.map((b) => sql`(${b})`),
    sql` union `,
  );
  return pageOf(sql`
    select id, last_message_at from (${union}) as visible
    order by last_message_at desc, id desc
    limit ${rowCount(take)}`);
}

/**
 * How the list finds a page of a broad scope: a principal whose plan names more than
 * `manyKeys` users, teams and accounts (a Teammate of a large team) first walks the newest
 * `walkRows` chats of the workspace in time order, keeping those the scope covers; per-key
 * top-N would read `take` chats for each of hundreds of keys. The walk reads only
 * `chat_assignments_recent`, whose entries carry each chat's account and assignee (an
 * index-only scan, a few hundred chats per page read). Only when that walk does not fill the
 * page does the per-branch union run. Tests turn the knobs to force either path.
 */
export interface ListTuning {
  manyKeys: number;
  walkRows: number;
}
const defaultTuning: ListTuning = { manyKeys: 16, walkRows: 5_000 };

function keyCount(term: ScopeTerm): number {
  const keys = (b: ChatBranch) =>
    'userIds' in b ? b.userIds.length : 'teamIds' in b ? b.teamIds.length : 1;
  return keys(term.branch) + (term.alsoOneOf ?? []).reduce((n, b) => n + keys(b), 0);
}

/**
 * The page from a walk over the workspace's newest chats (see `ListTuning`); undefined when the
 * scope is narrow, covers the whole workspace anyway, or a filter narrows the list (the
 * assignee indexes answer those).
 */
export function walkedChatsQuery(
  p: Principal,
  input: ListVisibleChatsInput,
  tuning: ListTuning = defaultTuning,
): RawBuilder<ListRow> | undefined {
  const plan = planFor(p, 'chat.view');
  const filter = input.filter ?? {};
  if (
    plan.terms.length === 0 ||
    plan.terms.some((t) => t.branch.kind === 'workspace') ||
    filterConditions(p, filter).length > 0 ||
    plan.terms.reduce((n, t) => n + keyCount(t), 0) <= tuning.manyKeys
  )
    return undefined;
  const cursor = input.cursor ? decodeCursor(input.cursor) : undefined;
  // The inner limit caps the walk; the outer one stops it as soon as the page is full. The
  // walk's index carries each chat's assignee, so the page needs no second look at
  // chat_assignments.
  return pageOf(
    sql`
    select a.chat_id as id, a.last_message_at, a.user_id, a.team_id from (
      select a.chat_id, a.workspace_id, a.channel_id, a.user_id, a.team_id, a.last_message_at
      from chat_assignments a
      where a.workspace_id = ${p.workspaceId}
        ${cursor ? sql`and (a.last_message_at, a.chat_id) < (${cursor.at}::timestamptz, ${cursor.id})` : sql``}
      order by a.last_message_at desc, a.chat_id desc
      limit ${rowCount(tuning.walkRows)}
    ) as a
    where ${visibleCondition(p)}
    order by a.last_message_at desc, a.chat_id desc
    limit ${rowCount(input.limit + 1)}`,
    { withAssignee: true },
  );
}

/**
 * A LIMIT as a literal, not a parameter. The list statements are prepared per connection, and
 * PostgreSQL's plan for a prepared statement that it may reuse across calls (a generic plan)
 * takes a `LIMIT $n` to keep a tenth of the table — a plan for 100,000 rows, 50–80 ms where the
 * page takes 1 ms. With the number in the text, the generic plan is the page's plan, and
 * statements that differ in it are simply different statements.
 */
function rowCount(n: number): RawBuilder<unknown> {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`not a row count: ${n}`);
  return sql.lit(n);
}

/**
 * A page's rows, from a query that yields the page's (id, last_message_at) in order — and, with
 * `withAssignee`, each chat's assignee as `user_id` and `team_id`, read in the same snapshot
 * (otherwise they are looked up by key).
 */
function pageOf(
  page: RawBuilder<unknown>,
  { withAssignee = false }: { withAssignee?: boolean } = {},
): RawBuilder<ListRow> {
  const a = withAssignee ? sql.raw('page') : sql.raw('a');
  return sql<ListRow>`${sql.raw(PREPARED)}
    with page as (${page})
    select c.id, c.channel_id, c.external_id, c.contact_id,
           ct.name as contact_name, ct.phone as contact_phone, ct.email as contact_email,
           ${a}.user_id as assignee_user_id, ${a}.team_id as assignee_team_id,
           c.last_message_at, c.last_message_preview,
           to_char(c.last_message_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_at
    from page join chats c on c.id = page.id
    ${withAssignee ? sql`` : sql`join chat_assignments a on a.chat_id = c.id`}
    join contacts ct on ct.id = c.contact_id
    order by c.last_message_at desc, c.id desc
  `;
}

export async function listVisibleChats(
  db: Database,
  p: Principal,
  input: ListVisibleChatsInput,
  tuning: ListTuning = defaultTuning,
): Promise<ChatListPage> {
  const rows = await pageRows(db, p, input, tuning);

  const items = rows.slice(0, input.limit).map((r) => ({
    id: r.id,
    channelId: r.channel_id,
    externalId: r.external_id,
    contact: {
      id: r.contact_id,
      name: r.contact_name,
      phone: r.contact_phone,
      email: r.contact_email,
    },
    assignee: r.assignee_user_id
      ? ({ type: 'user', userId: r.assignee_user_id } as const)
      : r.assignee_team_id
        ? ({ type: 'team', teamId: r.assignee_team_id } as const)
        : null,
    lastMessageAt: r.last_message_at,
    lastMessagePreview: r.last_message_preview,
  }));
  const last = rows[input.limit - 1];
  const nextCursor =
    rows.length > input.limit && last ? encodeCursor({ at: last.cursor_at, id: last.id }) : null;
  return { items, nextCursor };
}

async function pageRows(
  db: Database,
  p: Principal,
  input: ListVisibleChatsInput,
  tuning: ListTuning,
): Promise<ListRow[]> {
  const walk = walkedChatsQuery(p, input, tuning);
  if (walk) {
    const { rows } = await walk.execute(db);
    // A full page (one more than the limit) is the page; otherwise the walk ran out first.
    if (rows.length > input.limit) return rows;
  }
  const query = visibleChatsQuery(p, input);
  return query ? (await query.execute(db)).rows : [];
}

function filterConditions(p: Principal, filter: ChatListFilter): RawBuilder<unknown>[] {
  const out: RawBuilder<unknown>[] = [];
  const a = filter.assignee;
  if (a?.type === 'me') out.push(sql`a.user_id = ${p.userId}`);
  if (a?.type === 'user') out.push(sql`a.user_id = ${a.userId}`);
  if (a?.type === 'unassigned') out.push(sql`a.user_id is null and a.team_id is null`);
  if (filter.assigneeTeamIds) out.push(anyOf(sql`a.team_id`, filter.assigneeTeamIds));
  return out;
}

/**
 * The chats `p` may view as one condition on a chat's chat_assignments row (`a`): the plan the
 * list walks branch by branch, here as one OR. For set-based work over chats picked by other
 * means (reassignment decides per chat with it, the broad scope's walk keeps a page with it),
 * never to find chats — that is what the per-branch indexes are for. It reads only columns of
 * `a` that `chat_assignments_recent` carries, so a walk over that index never visits a table.
 */
export function visibleCondition(p: Principal): RawBuilder<boolean> {
  const plan = planFor(p, 'chat.view');
  if (plan.terms.length === 0) return sql<boolean>`false`;
  if (plan.flat)
    return sql<boolean>`(a.workspace_id = ${p.workspaceId} and ${flatCondition(plan.flat, p.workspaceId)})`;
  return sql<boolean>`(a.workspace_id = ${p.workspaceId} and (${sql.join(
    plan.terms.map((term) =>
      term.alsoOneOf
        ? sql`(${branchPredicate(term.branch, p.workspaceId)} and ${oneOf(term.alsoOneOf, p.workspaceId)})`
        : branchPredicate(term.branch, p.workspaceId),
    ),
    sql` or `,
  )}))`;
}

/**
 * A scope that flattens (`ChatScopePlan.flat`, as the badge counts read it) as one test per
 * axis: the chat's account among the owners' accounts, its assignee among the assignees — and,
 * under chatVisibility=team, among the filter's too — or the user taking part. Term by term, a
 * Teammate's scope repeated the filter and the participation in every term: a dozen set
 * lookups per chat where this makes at most five.
 */
function flatCondition(flat: FlatScope, workspaceId: string): RawBuilder<unknown> {
  const ids = (set: ReadonlySet<string>) => [...set];
  const assignee = (users: ReadonlySet<string>, teams: ReadonlySet<string>) =>
    sql`(${anyOf(sql`a.user_id`, ids(users))} or ${anyOf(sql`a.team_id`, ids(teams))})`;
  const owners = [
    ...(flat.ownerUsers.size ? [anyOf(sql`ca.owner_user_id`, ids(flat.ownerUsers))] : []),
    ...(flat.ownerTeams.size ? [anyOf(sql`ca.owner_team_id`, ids(flat.ownerTeams))] : []),
  ];
  const sets = flat.everything
    ? sql`true`
    : sql`(${assignee(flat.assigneeUsers, flat.assigneeTeams)}${
        owners.length
          ? sql` or a.channel_id in (select ca.id from channel_accounts ca where ca.workspace_id = ${workspaceId} and (${sql.join(owners, sql` or `)}))`
          : sql``
      })`;
  const inScope = flat.onlyAssignees
    ? sql`(${sets} and ${assignee(flat.onlyAssignees.users, flat.onlyAssignees.teams)})`
    : sets;
  return flat.participantUserId
    ? sql`(${inScope} or ${branchPredicate({ kind: 'participant', userId: flat.participantUserId }, workspaceId)})`
    : inScope;
}

/** Any of the branches, as a condition on one chat. */
const oneOf = (branches: readonly ChatBranch[], workspaceId: string) =>
  sql`(${sql.join(
    branches.map((b) => branchPredicate(b, workspaceId)),
    sql` or `,
  )})`;

/**
 * `column` is one of `ids`. A few ids go in one parameter each (`in ($1, $2)`), so the statement
 * tells the planner how many there are even when it plans for any values (a generic plan: with
 * one array parameter it assumed ten accounts where an Agent owns one, found that plan three
 * times dearer, and planned every call afresh). A long list goes in as a set the executor
 * hashes once (`in (select unnest(…))`) rather than an array constant: the planner estimates
 * `= any(array)` element by element (7 ms of planning for a 300-member team's scope) and the
 * executor scans it linearly for every row.
 */
function anyOf(column: RawBuilder<unknown>, ids: readonly string[]): RawBuilder<unknown> {
  if (ids.length === 0) return sql`false`;
  return ids.length <= 8
    ? sql`${column} in (${sql.join(ids.map((id) => sql`${id}`))})`
    : sql`${column} in (select ${idRows(ids)})`;
}

/**
 * A long id list as rows, sent as one comma-joined text the server splits. As a `text[]`
 * parameter, 437 ids cost ~0.1 ms per call to encode and parse (measured: a broad scope's walk
 * sends its member list two or three times, against ~0.6 ms for the walk itself). This server's
 * ids (`newId`) hold no comma; a list where one does goes as an array.
 */
function idRows(ids: readonly string[]): RawBuilder<unknown> {
  return ids.length < 2 || ids.some((id) => id.includes(','))
    ? sql`unnest(${[...ids]}::text[])`
    : sql`unnest(string_to_array(${ids.join(',')}::text, ','))`;
}

/**
 * A branch as a condition on one chat's chat_assignments row `a`. The sets a chat is tested
 * against (the user's chats, the scope's accounts) are subqueries the executor runs once and
 * hashes: the list's walk tests thousands of chats against them, and a probe per chat would
 * cost more than the walk.
 */
function branchPredicate(b: ChatBranch, workspaceId: string): RawBuilder<unknown> {
  switch (b.kind) {
    case 'assignee_user':
      return anyOf(sql`a.user_id`, b.userIds);
    case 'assignee_team':
      return anyOf(sql`a.team_id`, b.teamIds);
    case 'participant':
      return sql`a.chat_id in (select cp.chat_id from chat_participants cp where cp.user_id = ${b.userId})`;
    case 'channel_owner_user':
      return sql`a.channel_id in (select ca.id from channel_accounts ca where ca.workspace_id = ${workspaceId} and ${anyOf(sql`ca.owner_user_id`, b.userIds)})`;
    case 'channel_owner_team':
      return sql`a.channel_id in (select ca.id from channel_accounts ca where ca.workspace_id = ${workspaceId} and ${anyOf(sql`ca.owner_team_id`, b.teamIds)})`;
    case 'workspace':
      return sql`true`;
  }
}

/**
 * Which table a branch walks in (last_message_at DESC, id DESC) order, and so whose index
 * answers it: chat_assignments (`a`) for the assignee branches and for "every chat";
 * chat_participants (`cp`) for the participant branch; chats (`c`) for the account branches.
 * All three carry the same last_message_at (the database keeps the copies), so any of them
 * gives the list's order. Filters and restrictions are conditions on `a` (every chat has its
 * assignment row), left-joined by key where the walk is not over it: the planner drops a join
 * nothing reads, so a channel branch without filter never touches chat_assignments.
 */
interface Walk {
  time: RawBuilder<unknown>;
  id: RawBuilder<unknown>;
  workspace: RawBuilder<unknown>;
  from: RawBuilder<unknown>;
}
const WALK_ASSIGNMENTS: Walk = {
  time: sql.raw('a.last_message_at'),
  id: sql.raw('a.chat_id'),
  workspace: sql.raw('a.workspace_id'),
  from: sql.raw('chat_assignments a'),
};
const WALK_CHATS: Walk = {
  time: sql.raw('c.last_message_at'),
  id: sql.raw('c.id'),
  workspace: sql.raw('c.workspace_id'),
  from: sql.raw('chats c left join chat_assignments a on a.chat_id = c.id'),
};
const WALK_PARTICIPANTS: Walk = {
  time: sql.raw('cp.last_message_at'),
  id: sql.raw('cp.chat_id'),
  workspace: sql.raw('cp.workspace_id'),
  from: sql.raw('chat_participants cp left join chat_assignments a on a.chat_id = cp.chat_id'),
};

/** One branch's top-N, from its own index. */
function branchQuery(
  p: Principal,
  term: ScopeTerm,
  filter: ChatListFilter,
  cursor: Cursor | undefined,
  take: number,
): RawBuilder<unknown> {
  const b = term.branch;
  const filters = filterConditions(p, filter);
  const walk =
    b.kind === 'assignee_user' || b.kind === 'assignee_team' || b.kind === 'workspace'
      ? WALK_ASSIGNMENTS
      : b.kind === 'participant'
        ? WALK_PARTICIPANTS
        : WALK_CHATS;
  // Conditions on every branch: tenancy, the page's keyset position, the list filter, the
  // restriction's "also one of" branches.
  const conditions: RawBuilder<unknown>[] = [sql`${walk.workspace} = ${p.workspaceId}`];
  if (cursor)
    conditions.push(sql`(${walk.time}, ${walk.id}) < (${cursor.at}::timestamptz, ${cursor.id})`);
  conditions.push(...filters);
  if (term.alsoOneOf) conditions.push(oneOf(term.alsoOneOf, p.workspaceId));
  const where = sql.join(conditions, sql` and `);
  const topN = (keyCondition: RawBuilder<unknown>) =>
    sql`select ${walk.id} as id, ${walk.time} as last_message_at from ${walk.from}
        where ${keyCondition} and ${where}
        order by ${walk.time} desc, ${walk.id} desc limit ${rowCount(take)}`;
  // Several keys: one indexed top-N per key, merged (a LATERAL join), instead of one scan. The
  // keys are one parameter each, so the planner knows how many (see `anyOf`).
  const perKey = (keys: readonly string[], column: RawBuilder<unknown>) =>
    keys.length === 1
      ? topN(sql`${column} = ${keys[0]}`)
      : sql`select t.id, t.last_message_at
            from (values ${sql.join(keys.map((key) => sql`(${key}::text)`))}) as k(key)
            cross join lateral (${topN(sql`${column} = k.key`)}) as t`;
  switch (b.kind) {
    case 'assignee_user':
      return perKey(b.userIds, sql`a.user_id`);
    case 'assignee_team':
      return perKey(b.teamIds, sql`a.team_id`);
    case 'participant':
      return topN(sql`cp.user_id = ${b.userId}`);
    case 'channel_owner_user':
    case 'channel_owner_team': {
      const ownerCondition =
        b.kind === 'channel_owner_user'
          ? anyOf(sql`ca.owner_user_id`, b.userIds)
          : anyOf(sql`ca.owner_team_id`, b.teamIds);
      return sql`select t.id, t.last_message_at from channel_accounts ca
                 cross join lateral (${topN(sql`c.channel_id = ca.id`)}) as t
                 where ca.workspace_id = ${p.workspaceId} and ${ownerCondition}`;
    }
    case 'workspace':
      return topN(sql`true`);
  }
}
