import { performance } from 'node:perf_hooks';
import { DelayedError, UnrecoverableError, type Job, type Worker } from 'bullmq';
import type { z } from 'zod';
import { withLogContext } from '../adapters/logging/log-context.js';
import type { QueueBackend } from '../adapters/queue/backend.js';

/**
 * A background job: its queue name, the zod schema of its payload, and a handler that
 * calls one core use case. Handlers must be safe to run twice (a worker may die after
 * the work and before the acknowledgement).
 */
export interface JobDefinition<Schema extends z.ZodType, Result> {
  readonly name: string;
  /** What metrics call the job when `name` names one instance of it (an account's queue). */
  readonly type?: string;
  readonly payload: Schema;
  /** Tries before the job is failed for good; retries back off exponentially. */
  readonly attempts?: number;
  readonly concurrency?: number;
  /** First retry delay; each next one doubles. */
  readonly backoffMs?: number;
  handle(payload: z.output<Schema>, job: Job, token: string | undefined): Promise<Result>;
}

export function defineJob<Schema extends z.ZodType, Result>(
  definition: JobDefinition<Schema, Result>,
): JobDefinition<Schema, Result> {
  return definition;
}

/** What a producer needs of a definition: a relay may queue jobs whose workers run elsewhere. */
export type JobSpec<Schema extends z.ZodType> = Pick<
  JobDefinition<Schema, unknown>,
  'name' | 'payload' | 'attempts' | 'backoffMs'
>;

/** Enqueues a job after validating its payload, so a bad payload fails at the producer. */
export async function enqueue<Schema extends z.ZodType>(
  queues: QueueBackend,
  definition: JobSpec<Schema>,
  payload: z.input<Schema>,
  options: { jobId?: string } = {},
): Promise<string> {
  const data = definition.payload.parse(payload);
  const job = await queues.queue(definition.name).add(definition.name, data, {
    attempts: definition.attempts ?? 5,
    backoff: { type: 'exponential', delay: definition.backoffMs ?? 1_000 },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
    ...(options.jobId ? { jobId: options.jobId } : {}),
  });
  if (!job.id) throw new Error(`the queue gave no id to a ${definition.name} job`);
  return job.id;
}

/**
 * Starts a worker for a definition. A payload that does not match the schema can never
 * succeed, so it fails at once (`UnrecoverableError`) instead of being retried. Every line
 * logged while a job runs carries its `jobId` and `job` name, and the backend's recorder
 * (metrics) hears how long each run took and how it ended.
 */
export function startWorker<Schema extends z.ZodType, Result>(
  queues: QueueBackend,
  definition: JobDefinition<Schema, Result>,
  /** How soon a job whose worker died is taken over (BullMQ's stalled-job recovery). */
  recovery: { lockDuration?: number; stalledInterval?: number } = {},
): Worker<unknown, Result> {
  return queues.worker<unknown, Result>(
    definition.name,
    (job, token) =>
      withLogContext({ jobId: job.id, job: job.name }, async () => {
        const started = performance.now();
        const finished = (outcome: 'completed' | 'failed' | 'delayed') =>
          queues.recorder?.jobFinished(
            definition.type ?? definition.name,
            outcome,
            (performance.now() - started) / 1000,
          );
        try {
          const parsed = definition.payload.safeParse(job.data);
          if (!parsed.success) {
            throw new UnrecoverableError(
              `invalid ${definition.name} payload: ${parsed.error.message}`,
            );
          }
          const result = await definition.handle(parsed.data, job, token);
          finished('completed');
          return result;
        } catch (error) {
          // Moved back to wait behind other work (a webhook's earlier event): not a failed try.
          finished(error instanceof DelayedError ? 'delayed' : 'failed');
          throw error;
        }
      }),
    { concurrency: definition.concurrency ?? 1, ...recovery },
  );
}
