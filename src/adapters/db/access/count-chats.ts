import { sql } from 'kysely';
import { countPlan, type Principal } from '../../../core/access/index.js';
import { PREPARED, type Database } from '../database.js';
import { visibleCondition } from './list-visible-chats.js';

/** The badges of the chat list: what `GET .../chats` would show with each assignee filter. */
export interface ChatCounts {
  /** Assigned to the user. */
  mine: number;
  /** In their scope and assigned to nobody. */
  unassigned: number;
  /** Everything in their scope. */
  all: number;
}

/**
 * Counts the chats a user may see, from the counters the database keeps (migration 0009):
 * a few hundred counter rows for the broadest team scope instead of every chat in it.
 *
 * all = chats of the accounts in scope
 *     + chats assigned to an assignee in scope on an account outside it
 *     + chats the user takes part in that neither covers (a participant branch).
 * Unassigned chats are only ever in scope through their account or participation. Scopes that
 * a restriction filters are counted chat by chat (`countPlan`).
 */
export async function countVisibleChats(db: Database, p: Principal): Promise<ChatCounts> {
  const plan = countPlan(p);
  if (plan.kind === 'nothing') return { mine: 0, unassigned: 0, all: 0 };
  if (plan.kind === 'chats') return countChatByChat(db, p);

  const me = p.userId;
  const { rows } = await sql<{ mine: string; unassigned: string; all: string }>`${sql.raw(PREPARED)}
    with accounts as materialized (
      select id from channel_accounts
      where workspace_id = ${p.workspaceId}
        and (${plan.everyAccount}::boolean
          or owner_user_id = any(${plan.ownerUserIds}::text[])
          or owner_team_id = any(${plan.ownerTeamIds}::text[]))
    ),
    on_accounts as (
      select coalesce(sum(n.chats), 0) as chats, coalesce(sum(n.unassigned), 0) as unassigned
      from channel_chat_counts n
      where n.channel_id in (select id from accounts)
    ),
    -- One index probe per assignee in scope; accounts in scope left out by a hashed lookup.
    assigned_elsewhere as (
      select coalesce(sum(per.chats), 0) as chats
      from (
        select 'u'::"char" as kind, id from unnest(${plan.assigneeUserIds}::text[]) id
        union all
        select 't'::"char", id from unnest(${plan.assigneeTeamIds}::text[]) id
      ) assignee
      cross join lateral (
        select sum(n.chats) as chats from assigned_chat_counts n
        where n.workspace_id = ${p.workspaceId} and n.assignee_kind = assignee.kind
          and n.assignee_id = assignee.id and n.channel_id not in (select id from accounts)
      ) per
    ),
    taking_part as (
      select count(*) as chats,
             count(*) filter (where a.user_id is null and a.team_id is null) as unassigned
      from chat_participants cp
      join chat_assignments a on a.chat_id = cp.chat_id
      where cp.user_id = ${plan.participantUserId ?? null}::text
        and cp.workspace_id = ${p.workspaceId}
        and a.channel_id not in (select id from accounts)
        and (a.user_id is null or a.user_id <> all(${plan.assigneeUserIds}::text[]))
        and (a.team_id is null or a.team_id <> all(${plan.assigneeTeamIds}::text[]))
    ),
    mine as (
      select coalesce(sum(n.chats), 0) as chats
      from assigned_chat_counts n
      where n.workspace_id = ${p.workspaceId} and n.assignee_kind = 'u' and n.assignee_id = ${me}
        and ${plan.assigneeUserIds.includes(me) || plan.everyAccount}::boolean
    )
    select (select chats from mine) as mine,
           (select unassigned from on_accounts) + (select unassigned from taking_part) as unassigned,
           (select chats from on_accounts) + (select chats from assigned_elsewhere)
             + (select chats from taking_part) as all
  `.execute(db);
  const row = rows[0];
  return {
    mine: Number(row?.mine ?? 0),
    unassigned: Number(row?.unassigned ?? 0),
    all: Number(row?.all ?? 0),
  };
}

/** Counting the chats themselves, for scopes the counters cannot answer. */
async function countChatByChat(db: Database, p: Principal): Promise<ChatCounts> {
  const { rows } = await sql<{ mine: string; unassigned: string; all: string }>`
    select count(*) filter (where a.user_id = ${p.userId}) as mine,
           count(*) filter (where a.user_id is null and a.team_id is null) as unassigned,
           count(*) as all
    from chat_assignments a join chats c on c.id = a.chat_id
    where a.workspace_id = ${p.workspaceId} and ${visibleCondition(p)}`.execute(db);
  const row = rows[0];
  return {
    mine: Number(row?.mine ?? 0),
    unassigned: Number(row?.unassigned ?? 0),
    all: Number(row?.all ?? 0),
  };
}
