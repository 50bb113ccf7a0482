import { jobScope, type JobScope } from '../access/member-rules.js';
import type { Principal } from '../access/index.js';

/**
 * The background jobs (revokes, bulk reassignments, team hand-backs) the actor may follow,
 * newest first: all of the workspace's for those who manage users, else the ones they started
 * (`jobScope`). The store filters by the scope, so a Teammate's own old jobs are not crowded out
 * by the workspace's newer ones.
 */
export interface JobsSource<J> {
  recentJobs(workspaceId: string, limit: number, scope: JobScope): Promise<J[]>;
}

export interface ListJobsInput {
  actor: Principal;
  workspaceId: string;
  limit: number;
}

export async function listJobs<J>(
  deps: { jobs: JobsSource<J> },
  input: ListJobsInput,
): Promise<J[]> {
  return deps.jobs.recentJobs(input.workspaceId, input.limit, jobScope(input.actor));
}
