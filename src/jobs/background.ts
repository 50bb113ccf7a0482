import { sql } from 'kysely';
import { z } from 'zod';
import { revokeMember } from '../core/people/revoke-member.js';
import { runReassignJob } from '../core/people/reassign-chats.js';
import type { Database } from '../adapters/db/database.js';
import { handBackTeam, reassignInput, reassignStore } from '../adapters/db/job-stores.js';
import { DELIVER_REPLY_TOPIC } from '../adapters/db/outbound.js';
import type { QueueBackend } from '../adapters/queue/backend.js';
import { defineJob, enqueue, startWorker, type JobDefinition } from './define-job.js';
import { deliverOutboundSpec, deliveryJobId } from './deliver-outbound.js';

/**
 * The background work of PRODUCT.md §2, each a thin shell around a use case: the durable job
 * row (`jobs`) holds input, progress and checkpoint, so any worker can finish what another
 * started. Jobs reach the queue only through the outbox, after the commit that recorded them.
 */
const jobRef = z.object({ jobId: z.string().min(1) });

async function markFailed(db: Database, jobId: string, error: unknown) {
  await db
    .updateTable('jobs')
    .set({
      state: 'failed',
      error: error instanceof Error ? error.message : String(error),
      updated_at: sql`now()`,
    })
    .where('id', '=', jobId)
    .where('state', '!=', 'completed')
    .execute();
}

export function backgroundJobs(
  db: Database,
  options: { batchSize?: number; pauseMs?: number } = {},
) {
  const store = reassignStore(db);
  const revoke = defineJob({
    name: 'member.revoke',
    payload: jobRef,
    attempts: 10,
    async handle({ jobId }, job) {
      const input = await reassignInput(db, jobId);
      if (!input) return { gone: true };
      return revokeMember(store, input, {
        batchSize: options.batchSize,
        pauseMs: options.pauseMs ?? 0,
        afterBatch: (done) => job.updateProgress({ done }),
      });
    },
  });
  const reassign = defineJob({
    name: 'member.reassign',
    payload: jobRef,
    attempts: 10,
    async handle({ jobId }, job) {
      const input = await reassignInput(db, jobId);
      if (!input) return { gone: true };
      const result = await runReassignJob(store, input, {
        batchSize: options.batchSize,
        pauseMs: options.pauseMs ?? 0,
        afterBatch: (done) => job.updateProgress({ done }),
      });
      await store.finish(jobId, result);
      return result;
    },
  });
  const teamHandBack = defineJob({
    name: 'team.handback',
    payload: jobRef,
    attempts: 10,
    handle: ({ jobId }) => handBackTeam(db, jobId),
  });
  return { revoke, reassign, teamHandBack };
}

/** Which queue job an outbox topic becomes. */
function definitionFor(
  jobs: ReturnType<typeof backgroundJobs>,
  topic: string,
): JobDefinition<typeof jobRef, unknown> | undefined {
  switch (topic) {
    case 'job.member.revoke':
      return jobs.revoke;
    case 'job.member.reassign':
      return jobs.reassign;
    case 'job.team.suspend':
    case 'job.team.delete':
      return jobs.teamHandBack;
    default:
      return undefined;
  }
}

/**
 * Publishes committed outbox rows to the queue. Rows are claimed with SKIP LOCKED, so several
 * processes relay without doubling; the queue job id is the durable job's id (a reply's
 * delivery: `deliver-<message id>`), so a row published twice (a crash between enqueue and
 * commit) is still one job. A queue that refuses rolls the claim back: the rows wait for the
 * next pass.
 */
export async function relayOutbox(
  db: Database,
  queues: QueueBackend,
  jobs: ReturnType<typeof backgroundJobs>,
  limit = 100,
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('outbox')
      .select(['id', 'topic', 'payload'])
      .where('published_at', 'is', null)
      .orderBy('id')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute();
    for (const row of rows) {
      if (row.topic === DELIVER_REPLY_TOPIC) {
        const { messageId } = row.payload as { messageId?: string };
        if (messageId) {
          await enqueue(
            queues,
            deliverOutboundSpec,
            { messageId },
            { jobId: deliveryJobId(messageId) },
          );
        }
        continue;
      }
      const definition = definitionFor(jobs, row.topic);
      const payload = row.payload as { jobId?: string };
      if (definition && payload.jobId)
        await enqueue(queues, definition, { jobId: payload.jobId }, { jobId: payload.jobId });
    }
    if (rows.length) {
      await trx
        .updateTable('outbox')
        .set({ published_at: sql`now()` })
        .where(
          'id',
          'in',
          rows.map((r) => r.id),
        )
        .execute();
    }
    return rows.length;
  });
}

/** Starts the workers and the outbox relay; returns a stop function. */
export function startBackgroundWork(
  db: Database,
  queues: QueueBackend,
  options: {
    batchSize?: number;
    pauseMs?: number;
    relayEveryMs?: number;
    lockDuration?: number;
    stalledInterval?: number;
    onError?: (error: unknown) => void;
  } = {},
): () => Promise<void> {
  const jobs = backgroundJobs(db, options);
  const recovery = {
    ...(options.lockDuration ? { lockDuration: options.lockDuration } : {}),
    ...(options.stalledInterval ? { stalledInterval: options.stalledInterval } : {}),
  };
  for (const definition of [jobs.revoke, jobs.reassign, jobs.teamHandBack]) {
    const worker = startWorker(
      queues,
      definition as JobDefinition<typeof jobRef, unknown>,
      recovery,
    );
    worker.on('failed', (job, error) => {
      const jobId = (job?.data as { jobId?: string } | undefined)?.jobId;
      if (job && jobId && job.attemptsMade >= (job.opts.attempts ?? 1))
        void markFailed(db, jobId, error).catch(() => undefined);
    });
  }
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    if (stopped) return;
    running = relayOutbox(db, queues, jobs)
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, options.relayEveryMs ?? 500);
      });
  };
  let timer = setTimeout(tick, 0);
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
