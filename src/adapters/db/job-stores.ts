import { sql, type RawBuilder } from 'kysely';
import { buildPrincipal } from '../../core/access/index.js';
import type { ReassignJobInput } from '../../core/people/reassign-chats.js';
import type { RevokeStore } from '../../core/people/revoke-member.js';
import { loadWorkspaceAccess } from './access/load-access.js';
import type { Database } from './database.js';
import { EVENTS_CHANNEL, SQL_EVENT_ID } from './event-bus.js';

/** NOTIFY inside the caller's transaction: delivered only if it commits. */
const accessChanged = (workspaceId: string) =>
  sql`select pg_notify(${EVENTS_CHANNEL}, json_build_object('id', ${SQL_EVENT_ID}, 'type', 'access.changed', 'workspaceId', ${workspaceId}::text)::text)`;
/**
 * `chat.assignee_changed` for every chat in `moved` (a relation with one column, id): one
 * NOTIFY per 100 chats, each naming its chats (the event bus hands them on one by one), so
 * a revoke of 100k chats sends 1,000 notices, not 100k. 100 ids stay well under NOTIFY's
 * 8 kB payload limit.
 */
const assigneeNotices = (workspaceId: string, moved: RawBuilder<unknown>) =>
  sql`select pg_notify(${EVENTS_CHANNEL}, json_build_object('id', ${SQL_EVENT_ID}, 'type', 'chat.assignee_changed', 'workspaceId', ${workspaceId}::text, 'chatIds', json_agg(id))::text)
      from (select id, (row_number() over () - 1) / 100 as chunk from ${moved}) as m group by chunk`;
const assigneesChanged = (workspaceId: string, chatIds: readonly string[]) =>
  assigneeNotices(workspaceId, sql`unnest(${chatIds}::text[]) as moved(id)`);

/** Assignments after a cursor position (all when there is none); `a` is chat_assignments. */
const afterRecent = (from: { at: string; id: string } | undefined) =>
  from
    ? sql<boolean>`(a.last_message_at, a.chat_id) < (${from.at}::timestamptz, ${from.id})`
    : sql<boolean>`true`;

/** Assignments of one lane out of `lanes` disjoint ones (all when there is one lane). */
const inLane = (walk: { lane: number; lanes: number }) =>
  walk.lanes > 1
    ? sql<boolean>`mod(abs(hashtext(a.chat_id)), ${walk.lanes}) = ${walk.lane}`
    : sql<boolean>`true`;

/** An assignment's position in (last_message_at DESC, id DESC) order, exact to the microsecond. */
const recentCursor =
  sql<string>`json_build_array(to_char(a.last_message_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), a.chat_id)::text`.as(
    'cursor',
  );

function decodeRecentCursor(cursor: string): { at: string; id: string } | undefined {
  try {
    const value: unknown = JSON.parse(cursor);
    if (Array.isArray(value) && typeof value[0] === 'string' && typeof value[1] === 'string')
      return { at: value[0], id: value[1] };
  } catch {
    // not one of ours
  }
  return undefined;
}

/** Counts chats a batch moved into its job's progress. */
const countProgress = (jobId: string, moved: number) =>
  sql`update jobs set progress_done = progress_done + ${moved},
        progress_total = greatest(progress_total, progress_done + ${moved}), updated_at = now()
      where id = ${jobId}`;

/** The durable side of reassignment jobs (revoke, bulk reassign): PostgreSQL, batch by batch. */
export function reassignStore(db: Database): RevokeStore {
  return {
    async start(jobId) {
      return db.transaction().execute(async (trx) => {
        const job = await trx
          .selectFrom('jobs')
          .selectAll()
          .where('id', '=', jobId)
          .forUpdate()
          .executeTakeFirstOrThrow();
        if (job.state === 'waiting' || job.state === 'failed') {
          const input = job.input as { userId?: string; fromUserId?: string };
          const from = input.fromUserId ?? input.userId ?? '';
          const { n } = await trx
            .selectFrom('chat_assignments')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('workspace_id', '=', job.workspace_id)
            .where('user_id', '=', from)
            .executeTakeFirstOrThrow();
          await trx
            .updateTable('jobs')
            .set({
              state: 'active',
              progress_total: sql`greatest(progress_total, progress_done + ${Number(n)})`,
              updated_at: sql`now()`,
            })
            .where('id', '=', jobId)
            .execute();
        }
        return { state: job.state, total: job.progress_total };
      });
    },

    async heir(input) {
      if (!input.toUserId) return undefined;
      const principal = buildPrincipal(
        await loadWorkspaceAccess(db, input.workspaceId),
        input.toUserId,
      );
      return principal;
    },

    // Each batch is one statement in one transaction: the chats are taken and moved, their
    // events go and the job's progress counts them, or none of it happens. An heir the job
    // found assignable gets every chat (PRODUCT.md §3.2: assigning is what lets an Agent or a
    // Collaborator see it) as long as their membership is still active when the batch runs;
    // one suspended or revoked meanwhile gets none, and the rest become unassigned. Progress
    // comes last, so lanes of one job hold the job's row only for an instant.
    async moveNext(input, walk, heir) {
      const from = walk.after ? decodeRecentCursor(walk.after) : undefined;
      const heirId = heir?.userId ?? null;
      // Evaluated once per statement (no reference to the chat): is the heir still active?
      const toHeir = heir
        ? sql<boolean>`exists (select 1 from memberships m where m.workspace_id = ${input.workspaceId}
            and m.user_id = ${heirId}::text and m.status = 'active')`
        : sql<boolean>`false`;
      return db.transaction().execute(async (trx) => {
        const { rows } = await sql<{
          taken: string;
          to_heir: string;
          unassigned: string;
          cursor: string | null;
        }>`
          with taken as (
            select a.chat_id, a.last_message_at, ${toHeir} as to_heir
            from chat_assignments a
            where a.workspace_id = ${input.workspaceId} and a.user_id = ${input.fromUserId}
              and ${afterRecent(from)} and ${inLane(walk)}
            order by a.last_message_at desc, a.chat_id desc
            limit ${walk.size}
          ), moved as (
            update chat_assignments a set
              user_id = case when taken.to_heir then ${heirId}::text end,
              last_user_id = case when taken.to_heir then ${heirId}::text else a.last_user_id end
            from taken
            -- The array hands the planner the keys to look up; joined to taken alone it scans
            -- the table.
            where a.chat_id = any(array(select chat_id from taken)) and a.chat_id = taken.chat_id
              and a.user_id = ${input.fromUserId}
            returning a.chat_id as id, taken.to_heir
          ),
          notices as (${assigneeNotices(input.workspaceId, sql`moved`)})
          select (select count(*) from taken) as taken,
            (select count(*) filter (where to_heir) from moved) as to_heir,
            (select count(*) filter (where not to_heir) from moved) as unassigned,
            (select count(*) from notices) as notices,
            (select ${recentCursor} from taken a order by last_message_at, chat_id limit 1)
        `.execute(trx);
        const row = rows[0];
        const done = {
          toHeir: Number(row?.to_heir ?? 0),
          unassigned: Number(row?.unassigned ?? 0),
        };
        await countProgress(input.jobId, done.toHeir + done.unassigned).execute(trx);
        return { items: { taken: Number(row?.taken ?? 0), ...done }, after: row?.cursor ?? null };
      });
    },

    async handOver(input) {
      return db.transaction().execute(async (trx) => {
        const heirActive = input.toUserId
          ? await trx
              .selectFrom('memberships')
              .select('user_id')
              .where('workspace_id', '=', input.workspaceId)
              .where('user_id', '=', input.toUserId)
              .where('status', '=', 'active')
              .executeTakeFirst()
          : undefined;
        const channels = await trx
          .updateTable('channel_accounts')
          .set(
            heirActive
              ? { owner_type: 'user', owner_user_id: heirActive.user_id, updated_at: sql`now()` }
              : { owner_type: 'workspace', owner_user_id: null, updated_at: sql`now()` },
          )
          .where('workspace_id', '=', input.workspaceId)
          .where('owner_user_id', '=', input.fromUserId)
          .executeTakeFirst();
        await trx
          .deleteFrom('team_members')
          .where('workspace_id', '=', input.workspaceId)
          .where('user_id', '=', input.fromUserId)
          .execute();
        await trx
          .deleteFrom('role_bindings')
          .where('workspace_id', '=', input.workspaceId)
          .where('subject_type', '=', 'user')
          .where('subject_id', '=', input.fromUserId)
          .execute();
        await trx
          .deleteFrom('chat_participants')
          .where('workspace_id', '=', input.workspaceId)
          .where('user_id', '=', input.fromUserId)
          .execute();
        await trx
          .deleteFrom('crm_grants')
          .where('workspace_id', '=', input.workspaceId)
          .where('user_id', '=', input.fromUserId)
          .execute();
        await accessChanged(input.workspaceId).execute(trx);
        return { channels: Number(channels.numUpdatedRows) };
      });
    },

    async finish(jobId, result) {
      await db
        .updateTable('jobs')
        .set({ state: 'completed', result: JSON.stringify(result), updated_at: sql`now()` })
        .where('id', '=', jobId)
        .execute();
    },
  };
}

/** Loads a job's row and the reassignment it describes. */
export async function reassignInput(
  db: Database,
  jobId: string,
): Promise<ReassignJobInput | undefined> {
  const job = await db
    .selectFrom('jobs')
    .select(['id', 'workspace_id', 'input'])
    .where('id', '=', jobId)
    .executeTakeFirst();
  if (!job) return undefined;
  const input = job.input as {
    userId?: string;
    fromUserId?: string;
    reassignTo?: string | null;
    toUserId?: string | null;
  };
  return {
    jobId: job.id,
    workspaceId: job.workspace_id,
    fromUserId: input.fromUserId ?? input.userId ?? '',
    toUserId: input.toUserId ?? input.reassignTo ?? null,
  };
}

/**
 * Suspending or deleting a team (PRODUCT.md §2): accounts and contacts it owned pass to HQ,
 * its queue of team-assigned chats becomes HQ's queue, sub-teams move up to its parent. Set
 * based, in one transaction; running it again changes nothing.
 */
export async function handBackTeam(db: Database, jobId: string): Promise<Record<string, number>> {
  return db.transaction().execute(async (trx) => {
    const job = await trx
      .selectFrom('jobs')
      .selectAll()
      .where('id', '=', jobId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (job.state === 'completed') return (job.result as Record<string, number> | null) ?? {};
    const { teamId } = job.input as { teamId: string };
    const ws = job.workspace_id;
    const team = await trx
      .selectFrom('teams')
      .select(['status', 'parent_id'])
      .where('id', '=', teamId)
      .executeTakeFirstOrThrow();
    const channels = await trx
      .updateTable('channel_accounts')
      .set({ owner_type: 'workspace', owner_team_id: null, updated_at: sql`now()` })
      .where('workspace_id', '=', ws)
      .where('owner_team_id', '=', teamId)
      .executeTakeFirst();
    const contacts = await trx
      .updateTable('contacts')
      .set({ owner_team_id: null })
      .where('workspace_id', '=', ws)
      .where('owner_team_id', '=', teamId)
      .executeTakeFirst();
    const chats = await trx
      .updateTable('chat_assignments')
      .set({ team_id: null })
      .where('workspace_id', '=', ws)
      .where('team_id', '=', teamId)
      .returning('chat_id as id')
      .execute();
    const subTeams = await trx
      .updateTable('teams')
      .set({ parent_id: team.parent_id })
      .where('workspace_id', '=', ws)
      .where('parent_id', '=', teamId)
      .executeTakeFirst();
    if (team.status === 'deleted') {
      await trx.deleteFrom('team_members').where('team_id', '=', teamId).execute();
      await trx
        .deleteFrom('role_bindings')
        .where('workspace_id', '=', ws)
        .where('subject_type', '=', 'team')
        .where('subject_id', '=', teamId)
        .execute();
    }
    // The closure table follows the new tree.
    await sql`delete from team_tree where workspace_id = ${ws}`.execute(trx);
    await sql`
      with recursive tree(ancestor_id, descendant_id, depth) as (
        select id, id, 0 from teams where workspace_id = ${ws}
        union all
        select tree.ancestor_id, t.id, tree.depth + 1 from tree join teams t on t.parent_id = tree.descendant_id and t.workspace_id = ${ws}
      )
      insert into team_tree (workspace_id, ancestor_id, descendant_id, depth) select ${ws}, ancestor_id, descendant_id, depth from tree
    `.execute(trx);
    if (chats.length) {
      await assigneesChanged(
        ws,
        chats.map((c) => c.id),
      ).execute(trx);
    }
    await accessChanged(ws).execute(trx);
    const result = {
      channels: Number(channels.numUpdatedRows),
      contacts: Number(contacts.numUpdatedRows),
      chats: chats.length,
      subTeams: Number(subTeams.numUpdatedRows),
    };
    await trx
      .updateTable('jobs')
      .set({
        state: 'completed',
        progress_done: chats.length,
        progress_total: chats.length,
        result: JSON.stringify(result),
        updated_at: sql`now()`,
      })
      .where('id', '=', jobId)
      .execute();
    return result;
  });
}
