import { mayFollowJob } from '../access/member-rules.js';
import type { Principal } from '../access/index.js';
import { AppError } from '../errors.js';

/**
 * A background job (revoke, bulk reassignment, team hand-back) — its state, progress and result —
 * for an actor who may follow it (`mayFollowJob`: who started it, and those who manage users).
 * Any other job, or one of another workspace, does not exist for them (`not_found`).
 */
export interface JobLookup<J> {
  findJob(
    jobId: string,
  ): Promise<{ job: J; workspaceId: string; createdBy: string | null } | undefined>;
}

export interface ViewJobInput {
  actor: Principal;
  jobId: string;
}

export async function viewJob<J>(deps: { jobs: JobLookup<J> }, input: ViewJobInput): Promise<J> {
  const { actor, jobId } = input;
  const found = await deps.jobs.findJob(jobId);
  if (!found || found.workspaceId !== actor.workspaceId || !mayFollowJob(actor, found))
    throw new AppError('not_found', 'no such job');
  return found.job;
}
