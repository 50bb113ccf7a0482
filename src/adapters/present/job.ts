import { redact, type Principal } from '../../core/access/index.js';
import type { JobRow } from '../db/jobs.js';

/** A background job's state as the API shows it, redacted for `principal` (a result may name people). */
export function presentJob(principal: Principal, job: JobRow) {
  return redact(principal, {
    id: job.id,
    type: job.type,
    state: job.state,
    progress: { done: job.progress_done, total: job.progress_total },
    ...(job.result ? { result: job.result } : {}),
  });
}
