import { sql } from 'kysely';
import { buildPrincipal } from '../../core/access/index.js';
import type { ReassignJobInput } from '../../core/people/reassign-chats.js';
import type { RevokeStore } from '../../core/people/revoke-member.js';
import { loadChatFacts, loadWorkspaceAccess } from './access/load-access.js';
import type { Database } from './database.js';

const EVENTS = 'switchboard_events';
/** A fresh event id, made by PostgreSQL for events it sends itself. */
const EVENT_ID = sql`'evt_' || md5(random()::text || clock_timestamp()::text)`;

/** NOTIFY inside the caller's transaction: delivered only if it commits. */
const accessChanged = (workspaceId: string) =>
  sql`select pg_notify(${EVENTS}, json_build_object('id', ${EVENT_ID}, 'type', 'access.changed', 'workspaceId', ${workspaceId}::text)::text)`;
const assigneesChanged = (workspaceId: string, chatIds: readonly string[]) =>
  sql`select pg_notify(${EVENTS}, json_build_object('id', ${EVENT_ID}, 'type', 'chat.assignee_changed', 'workspaceId', ${workspaceId}::text, 'chatId', id)::text)
      from unnest(${chatIds}::text[]) as id`;

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
            .selectFrom('chats')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('workspace_id', '=', job.workspace_id)
            .where('assignee_user_id', '=', from)
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
        const checkpoint = (job.checkpoint as { after?: string } | null)?.after ?? null;
        return { state: job.state, total: job.progress_total, checkpoint };
      });
    },

    async nextIds(input, after, size) {
      let query = db
        .selectFrom('chats')
        .select('id')
        .where('workspace_id', '=', input.workspaceId)
        .where('assignee_user_id', '=', input.fromUserId);
      if (after) query = query.where('id', '>', after);
      return (await query.orderBy('id').limit(size).execute()).map((r) => r.id);
    },

    facts: (input, ids) => loadChatFacts(db, input.workspaceId, ids),

    async heir(input) {
      if (!input.toUserId) return undefined;
      const principal = buildPrincipal(
        await loadWorkspaceAccess(db, input.workspaceId),
        input.toUserId,
      );
      return principal?.status === 'active' ? principal : undefined;
    },

    async commitBatch(input, plan, checkpoint) {
      return db.transaction().execute(async (trx) => {
        let moved: string[] = [];
        if (plan.toHeir.length && input.toUserId) {
          const rows = await trx
            .updateTable('chats')
            .set({
              assignee_user_id: input.toUserId,
              last_assignee_user_id: input.toUserId,
              updated_at: sql`now()`,
            })
            .where(sql<boolean>`id = any(${plan.toHeir}::text[])`)
            .where('assignee_user_id', '=', input.fromUserId)
            .returning('id')
            .execute();
          moved = moved.concat(rows.map((r) => r.id));
        }
        const unassign = input.toUserId ? plan.unassign : [...plan.unassign, ...plan.toHeir];
        if (unassign.length) {
          const rows = await trx
            .updateTable('chats')
            .set({ assignee_user_id: null, updated_at: sql`now()` })
            .where(sql<boolean>`id = any(${unassign}::text[])`)
            .where('assignee_user_id', '=', input.fromUserId)
            .returning('id')
            .execute();
          moved = moved.concat(rows.map((r) => r.id));
        }
        await trx
          .updateTable('jobs')
          .set({
            progress_done: sql`progress_done + ${moved.length}`,
            progress_total: sql`greatest(progress_total, progress_done + ${moved.length})`,
            checkpoint: JSON.stringify({ after: checkpoint }),
            updated_at: sql`now()`,
          })
          .where('id', '=', input.jobId)
          .execute();
        if (moved.length) {
          // Delivered only if this batch commits: one chat.assignee_changed per chat.
          await assigneesChanged(input.workspaceId, moved).execute(trx);
        }
        return moved.length;
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
      .updateTable('chats')
      .set({ assignee_team_id: null, updated_at: sql`now()` })
      .where('workspace_id', '=', ws)
      .where('assignee_team_id', '=', teamId)
      .returning('id')
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
