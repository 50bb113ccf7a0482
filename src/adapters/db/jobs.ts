import type { JobLookup } from '../../core/people/view-job.js';
import type { Transaction } from 'kysely';
import { newId } from '../../core/ids.js';
import type { Database } from './database.js';
import { jobTopic, type JobType } from './outbox-topics.js';
import type { DB } from './schema.js';

/**
 * Records a background job in the transaction of the change that makes it necessary: the
 * durable `jobs` row (progress, owner workspace) and an `outbox` row that is published to the
 * queue only after that transaction commits.
 */
export async function recordJob(
  trx: Transaction<DB>,
  job: {
    workspaceId: string;
    type: JobType;
    input: Record<string, unknown>;
    createdBy: string | null;
  },
): Promise<string> {
  const { id } = await trx
    .insertInto('jobs')
    .values({
      id: newId('job'),
      workspace_id: job.workspaceId,
      type: job.type,
      input: JSON.stringify(job.input),
      created_by: job.createdBy,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('outbox')
    .values({
      workspace_id: job.workspaceId,
      topic: jobTopic(job.type),
      payload: JSON.stringify({ jobId: id }),
    })
    .execute();
  return id;
}

/** A background job's row (state, progress, result), of any workspace: the caller decides who may see it. */
export async function findJob(db: Database, jobId: string) {
  return db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
}

export type JobRow = NonNullable<Awaited<ReturnType<typeof findJob>>>;

/** The port of `viewJob`: a job's row with the workspace and starter it is decided on. */
export const jobLookup = (db: Database): JobLookup<JobRow> => ({
  async findJob(jobId) {
    const row = await findJob(db, jobId);
    return row && { job: row, workspaceId: row.workspace_id, createdBy: row.created_by };
  },
});
