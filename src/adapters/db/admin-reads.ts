import type { JobScope } from '../../core/access/member-rules.js';
import type { JobsSource } from '../../core/people/list-jobs.js';
import type { Database } from './database.js';

/**
 * Reads the admin surfaces (the Slack bot) show beside the use cases' answers. Each is a plain
 * read: what the caller may see of it is decided in `core/access` by the caller of the read.
 */

/** How many chats are assigned to the member now (what a revoke or bulk reassign would move). */
export async function countAssignedChats(
  db: Database,
  workspaceId: string,
  userId: string,
): Promise<number> {
  const row = await db
    .selectFrom('chat_assignments')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The workspace's most recent background jobs within `scope`, newest first. */
export async function recentJobs(
  db: Database,
  workspaceId: string,
  limit: number,
  scope: JobScope,
) {
  let query = db.selectFrom('jobs').selectAll().where('workspace_id', '=', workspaceId);
  if (!scope.all) query = query.where('created_by', '=', scope.createdBy);
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

/** The jobs port of `listJobs`. */
export const jobsSource = (
  db: Database,
): JobsSource<Awaited<ReturnType<typeof recentJobs>>[number]> => ({
  recentJobs: (workspaceId, limit, scope) => recentJobs(db, workspaceId, limit, scope),
});

/**
 * The chats of the workspace's contact with this phone (E.164) or email, newest activity
 * first. The caller keeps only those its principal may view.
 */
export async function chatIdsOfContact(
  db: Database,
  workspaceId: string,
  contact: { phone: string } | { email: string },
  limit = 50,
): Promise<string[]> {
  const rows = await db
    .selectFrom('contacts as ct')
    .innerJoin('chats as c', 'c.contact_id', 'ct.id')
    .select('c.id')
    .where('ct.workspace_id', '=', workspaceId)
    .where((eb) =>
      'phone' in contact
        ? eb('ct.phone', '=', contact.phone)
        : eb('ct.email', '=', contact.email.toLowerCase()),
    )
    .orderBy('c.last_message_at', 'desc')
    .orderBy('c.id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}
