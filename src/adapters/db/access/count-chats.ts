import { sql, type RawBuilder } from 'kysely';
import { createHash } from 'node:crypto';
import { planFor, type FlatScope, type Principal } from '../../../core/access/index.js';
import { PREPARED, type Database } from '../database.js';
import { visibleCondition } from './list-visible-chats.js';
import type { ChatCounts } from '../../../core/chats/chat-reads.js';

export type { ChatCounts } from '../../../core/chats/chat-reads.js';

type CountRow = { mine: string; unassigned: string; all: string };

/**
 * Counts the chats a user may see from the counters the database keeps (migration 0009): a few
 * hundred counter rows for the broadest team scope instead of every chat in it.
 *
 * The scope as sets (`ChatScopePlan.flat`): a chat is in it through the user's participation,
 * or through its account (owner in O) or its assignee (in A) — under chatVisibility=team only
 * when its assignee is also one of the filter's F. Without a filter:
 *   all = chats of the accounts in O + chats assigned into A on other accounts;
 * with one:
 *   all = chats assigned to each f in F, on any account if f is in A, else on accounts in O;
 * plus, either way, the chats the user takes part in that the sets do not already count.
 * Unassigned chats come in only through O (and participation); "mine" is the same sum for the
 * user alone. A broad unfiltered scope (a large team's) reads its "assigned into A on other
 * accounts" from a counter of its own (migration 0010), registered on its first call. A plan
 * that does not flatten is counted chat by chat. The statement runs without JIT.
 */
export async function countVisibleChats(
  db: Database,
  p: Principal,
  tuning: CountTuning = defaultTuning,
): Promise<ChatCounts> {
  const plan = planFor(p, 'chat.view');
  if (plan.terms.length === 0) return { mine: 0, unassigned: 0, all: 0 };
  const flat = plan.flat;
  if (!flat) return counted(await countChatByChat(db, p));

  const ws = p.workspaceId;
  const ids = (set: ReadonlySet<string>) => [...set];
  const A = { users: ids(flat.assigneeUsers), teams: ids(flat.assigneeTeams) };
  const only = flat.onlyAssignees;
  const F = only ? { users: ids(only.users), teams: ids(only.teams) } : undefined;
  // Per assignee: the chats assigned to it that the sets count (one index probe each);
  // `assignee.in_a`: whether it is in A, decided once per assignee rather than per row.
  const assignedSum = (users: string[], teams: string[], counts: RawBuilder<unknown>) => sql`
    select coalesce(sum(per.chats), 0) as chats
    from (
      select 'u'::"char" as kind, id, id in (select unnest(${A.users}::text[])) as in_a
      from unnest(${users}::text[]) id
      union all
      select 't'::"char", id, id in (select unnest(${A.teams}::text[]))
      from unnest(${teams}::text[]) id
    ) assignee
    cross join lateral (
      select sum(n.chats) as chats from assigned_chat_counts n
      where n.workspace_id = ${ws} and n.assignee_kind = assignee.kind
        and n.assignee_id = assignee.id and ${counts}
    ) per`;
  const onO = sql`n.channel_id in (select id from accounts)`;
  const mineOnly = (ofUsers: string[]) => (ofUsers.includes(p.userId) ? [p.userId] : []);
  // Filtered: every chat of an assignee in both F and A, only those on O for the rest of F.
  // Unfiltered: chats of the accounts in O (counted per account) and those assigned into A
  // elsewhere; "mine" is then the user's own chats on O plus those elsewhere if in A.
  // A broad unfiltered scope keeps that second sum in one counter row (migration 0010); the
  // per-pair sum stands in until the row is ready (and is not even run once it is).
  const scope = !F && !flat.everything ? scopeKey(p.workspaceId, flat, tuning) : undefined;
  const perPair = F
    ? assignedSum(F.users, F.teams, sql`(assignee.in_a or ${onO})`)
    : assignedSum(A.users, A.teams, sql`not ${onO}`);
  const assigned = scope
    ? sql`select coalesce(
        (select sc.assigned_elsewhere from scope_counts sc where sc.id = ${scope.id} and sc.ready),
        (${perPair})) as chats,
        exists (select 1 from scope_counts sc where sc.id = ${scope.id} and sc.ready) as kept`
    : sql`${perPair}`;
  const mine = F
    ? assignedSum(mineOnly(F.users), [], sql`(assignee.in_a or ${onO})`)
    : sql`select (${assignedSum(mineOnly(A.users), [], sql`not ${onO}`)})
             + coalesce((select sum(n.chats) from assigned_chat_counts n
                 where n.workspace_id = ${ws} and n.assignee_kind = 'u' and n.assignee_id = ${p.userId}
                   and ${onO}), 0) as chats`;
  // What the sets count of one chat (`a` its assignment row), for the participations.
  const setsCount = sql`(${
    F
      ? sql`coalesce(a.user_id = any(${F.users}::text[]) or a.team_id = any(${F.teams}::text[]), false)
          and (coalesce(a.user_id = any(${A.users}::text[]) or a.team_id = any(${A.teams}::text[]), false)
               or a.channel_id in (select id from accounts))`
      : sql`a.channel_id in (select id from accounts)
          or coalesce(a.user_id = any(${A.users}::text[]) or a.team_id = any(${A.teams}::text[]), false)`
  })`;

  // Without JIT: at a million chats the planner's estimate for the per-pair sum passes
  // jit_above_cost even when the sum never runs, and compiling the query took ~40 ms of a
  // ~2 ms call. SET LOCAL keeps the setting to this one statement's transaction.
  const { rows } = await db.transaction().execute(async (trx) => {
    await sql`set local jit = off`.execute(trx);
    return sql<CountRow & { kept: boolean | null }>`${sql.raw(PREPARED)}
    with accounts as materialized (
      select id from channel_accounts
      where workspace_id = ${ws}
        and (${flat.everything}::boolean
          or owner_user_id in (select unnest(${ids(flat.ownerUsers)}::text[]))
          or owner_team_id in (select unnest(${ids(flat.ownerTeams)}::text[])))
    ),
    on_accounts as (
      select coalesce(sum(n.chats), 0) as chats, coalesce(sum(n.unassigned), 0) as unassigned
      from channel_chat_counts n
      where ${F ? sql`false` : sql`n.channel_id in (select id from accounts)`}
    ),
    assigned as (${assigned}),
    mine as (${mine}),
    taking_part as (
      select count(*) as chats,
             count(*) filter (where a.user_id is null and a.team_id is null) as unassigned,
             count(*) filter (where a.user_id = ${p.userId}) as mine
      from chat_participants cp
      join chat_assignments a on a.chat_id = cp.chat_id
      where cp.user_id = ${flat.participantUserId ?? null}::text
        and cp.workspace_id = ${ws}
        and not ${setsCount}
    )
    select (select chats from mine) + (select mine from taking_part) as mine,
           (select unassigned from on_accounts) + (select unassigned from taking_part) as unassigned,
           (select chats from on_accounts) + (select chats from assigned)
             + (select chats from taking_part) as all,
           ${scope ? sql`(select kept from assigned)` : sql`null::boolean`} as kept
  `.execute(trx);
  });
  if (scope && rows[0]?.kept === false) await keepScopeCount(db, scope);
  else if (scope) await touchScope(db, scope.id);
  return counted(rows[0]);
}

export interface ScopeKey {
  id: string;
  workspaceId: string;
  /** 'u:<id>' / 't:<id>' of the scope's assignees (A) and account owners (O). */
  assignees: string[];
  owners: string[];
}

/** Which scopes get a counter of their own: those naming more than this many users and teams. */
export interface CountTuning {
  broadKeys: number;
}
const defaultTuning: CountTuning = { broadKeys: 16 };

function scopeKey(workspaceId: string, flat: FlatScope, tuning: CountTuning): ScopeKey | undefined {
  const subjects = (users: ReadonlySet<string>, teams: ReadonlySet<string>) =>
    [...[...users].map((id) => `u:${id}`), ...[...teams].map((id) => `t:${id}`)].sort();
  const assignees = subjects(flat.assigneeUsers, flat.assigneeTeams);
  const owners = subjects(flat.ownerUsers, flat.ownerTeams);
  if (assignees.length + owners.length <= tuning.broadKeys) return undefined;
  const id = createHash('sha1')
    .update(JSON.stringify([workspaceId, assignees, owners]))
    .digest('hex');
  return { id, workspaceId, assignees, owners };
}

/**
 * Registers a scope's counter and fills it. The row and its sets are committed first, so every
 * change from then on applies its delta; the value is then counted under a SHARE lock on
 * chat_assignments — no write in flight, none can start — and overwrites the deltas that
 * arrived in between (they are in the count). Two requests registering one scope agree (SHARE
 * does not conflict with SHARE). Counters of the workspace unused for a day go.
 */
export async function keepScopeCount(db: Database, scope: ScopeKey): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .deleteFrom('scope_counts')
      .where('workspace_id', '=', scope.workspaceId)
      .where('used_at', '<', sql<Date>`now() - interval '1 day'`)
      .execute();
    const inserted = await trx
      .insertInto('scope_counts')
      .values({ id: scope.id, workspace_id: scope.workspaceId })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return;
    await trx
      .insertInto('scope_count_subjects')
      .values([
        ...scope.assignees.map((subject) => ({ scope_id: scope.id, role: 'a' as const, subject })),
        ...scope.owners.map((subject) => ({ scope_id: scope.id, role: 'o' as const, subject })),
      ])
      .execute();
  });
  await db.transaction().execute(async (trx) => {
    await sql`lock table chat_assignments in share mode`.execute(trx);
    await sql`
      with owned as (
        select ca.id from channel_accounts ca
        where ca.workspace_id = ${scope.workspaceId}
          and (case ca.owner_type when 'user' then 'u:' || ca.owner_user_id
                                  when 'team' then 't:' || ca.owner_team_id end)
              in (select unnest(${scope.owners}::text[]))
      )
      update scope_counts set ready = true, used_at = now(), assigned_elsewhere = (
        -- One index probe per assignee, as the per-pair sum does: the lock is held briefly.
        select coalesce(sum(n.chats), 0)
        from unnest(${scope.assignees}::text[]) subject
        join assigned_chat_counts n
          on n.workspace_id = ${scope.workspaceId}
          and n.assignee_kind = left(subject, 1)::"char" and n.assignee_id = substr(subject, 3)
        where n.channel_id not in (select id from owned)
      )
      where id = ${scope.id}`.execute(trx);
  });
}

/** Marks a scope as used, at most once an hour per process (unused ones are dropped after a day). */
const touched = new Map<string, number>();
async function touchScope(db: Database, id: string): Promise<void> {
  const now = Date.now();
  if (now - (touched.get(id) ?? 0) < 3_600_000) return;
  touched.set(id, now);
  if (touched.size > 10_000) touched.clear();
  await db.updateTable('scope_counts').set({ used_at: new Date() }).where('id', '=', id).execute();
}

const counted = (row: CountRow | undefined): ChatCounts => ({
  mine: Number(row?.mine ?? 0),
  unassigned: Number(row?.unassigned ?? 0),
  all: Number(row?.all ?? 0),
});

/** Counting the chats themselves, for scopes the counters cannot answer. */
async function countChatByChat(db: Database, p: Principal): Promise<CountRow | undefined> {
  const { rows } = await sql<CountRow>`
    select count(*) filter (where a.user_id = ${p.userId}) as mine,
           count(*) filter (where a.user_id is null and a.team_id is null) as unassigned,
           count(*) as all
    from chat_assignments a
    where a.workspace_id = ${p.workspaceId} and ${visibleCondition(p)}`.execute(db);
  return rows[0];
}
