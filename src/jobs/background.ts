import { sql } from 'kysely';
import { z } from 'zod';
import { revokeMember } from '../core/people/revoke-member.js';
import { runReassignJob } from '../core/people/reassign-chats.js';
import type { Database } from '../adapters/db/database.js';
import { handBackTeam, reassignInput, reassignStore } from '../adapters/db/job-stores.js';
import {
  DELIVER_REPLY_TOPIC,
  isOutboxTopic,
  type OutboxTopic,
} from '../adapters/db/outbox-topics.js';
import { AppError } from '../core/errors.js';
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

/** A row read from the outbox: its topic is whatever the table holds. */
interface OutboxRow {
  id: string;
  topic: string;
  payload: unknown;
}

/** Queues the job a row of one topic becomes; undefined when the payload is not what the topic takes. */
type Relay = (queues: QueueBackend, payload: unknown) => Promise<unknown> | undefined;

const messageRef = z.object({ messageId: z.string().min(1) });

/** Which queue job each outbox topic becomes; a topic missing here does not compile. */
function relays(jobs: ReturnType<typeof backgroundJobs>): Record<OutboxTopic, Relay> {
  const job =
    (definition: JobDefinition<typeof jobRef, unknown>): Relay =>
    (queues, payload) => {
      const parsed = jobRef.safeParse(payload);
      if (!parsed.success) return undefined;
      const { jobId } = parsed.data;
      return enqueue(queues, definition, { jobId }, { jobId });
    };
  return {
    'job.member.revoke': job(jobs.revoke),
    'job.member.reassign': job(jobs.reassign),
    'job.team.suspend': job(jobs.teamHandBack),
    'job.team.delete': job(jobs.teamHandBack),
    [DELIVER_REPLY_TOPIC]: (queues, payload) => {
      const parsed = messageRef.safeParse(payload);
      if (!parsed.success) return undefined;
      const { messageId } = parsed.data;
      return enqueue(
        queues,
        deliverOutboundSpec,
        { messageId },
        { jobId: deliveryJobId(messageId) },
      );
    },
  };
}

export interface RelayOptions {
  /** Rows claimed per pass. */
  limit?: number;
  /**
   * Told of each row the relay cannot publish (a topic outside `outboxTopics`, or a payload
   * its topic does not take): the row stays unpublished, for a person to look at.
   */
  onError?: (error: unknown) => void;
  /**
   * Ids of rows already reported: not claimed again, so a bad row is reported once per
   * relay loop and never holds up the rows behind it. The relay adds to it.
   */
  reported?: Set<string>;
}

/**
 * Publishes committed outbox rows to the queue. Rows are claimed with SKIP LOCKED, so several
 * processes relay without doubling; the queue job id is the durable job's id (a reply's
 * delivery: `deliver-<message id>`), so a row published twice (a crash between enqueue and
 * commit) is still one job. A queue that refuses rolls the claim back: the rows wait for the
 * next pass. A row of an unknown topic or a malformed payload is an error (`onError`), left
 * unpublished; the others are relayed. Returns how many rows were published.
 */
export async function relayOutbox(
  db: Database,
  queues: QueueBackend,
  jobs: ReturnType<typeof backgroundJobs>,
  options: RelayOptions = {},
): Promise<number> {
  const byTopic = relays(jobs);
  const reported = options.reported;
  return db.transaction().execute(async (trx) => {
    const rows: OutboxRow[] = await trx
      .selectFrom('outbox')
      .select(['id', 'topic', 'payload'])
      .where('published_at', 'is', null)
      .$if(Boolean(reported?.size), (qb) => qb.where('id', 'not in', [...(reported ?? [])]))
      .orderBy('id')
      .limit(options.limit ?? 100)
      .forUpdate()
      .skipLocked()
      .execute();
    const published: string[] = [];
    for (const row of rows) {
      const sent = isOutboxTopic(row.topic) ? byTopic[row.topic](queues, row.payload) : undefined;
      if (!sent) {
        reported?.add(row.id);
        options.onError?.(
          new AppError(
            'internal',
            isOutboxTopic(row.topic)
              ? `outbox row ${row.id} (${row.topic}) has a payload its topic does not take: left unpublished`
              : `outbox row ${row.id} has an unknown topic ${JSON.stringify(row.topic)}: left unpublished`,
          ),
        );
        continue;
      }
      await sent;
      published.push(row.id);
    }
    if (published.length) {
      await trx
        .updateTable('outbox')
        .set({ published_at: sql`now()` })
        .where('id', 'in', published)
        .execute();
    }
    return published.length;
  });
}

/**
 * How long a published outbox row is kept (to look into what was relayed lately) before the
 * sweep deletes it. Unpublished rows are never swept: they are work still to do.
 */
export const OUTBOX_RETENTION_MS = 24 * 60 * 60 * 1000;

export interface SweepOptions {
  /** Published rows older than this go; default `OUTBOX_RETENTION_MS`. */
  olderThanMs?: number;
  /** Rows deleted per statement, so no pass holds many locks or one long transaction. */
  batchSize?: number;
  /** Statements per call at most; the rest waits for the next sweep. */
  maxBatches?: number;
}

/**
 * Deletes outbox rows published more than `olderThanMs` ago (by the database's clock, the one
 * that stamped `published_at`), in batches, oldest first. Rows another process holds locked
 * are skipped, not waited for. Returns how many rows were deleted.
 */
export async function sweepOutbox(db: Database, options: SweepOptions = {}): Promise<number> {
  const olderThanMs = options.olderThanMs ?? OUTBOX_RETENTION_MS;
  const batchSize = options.batchSize ?? 1000;
  const maxBatches = options.maxBatches ?? 10;
  let deleted = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const result = await db
      .deleteFrom('outbox')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('outbox')
          .select('id')
          .where('published_at', 'is not', null)
          .where('published_at', '<', sql<Date>`now() - ${olderThanMs} * interval '1 millisecond'`)
          .orderBy('id')
          .limit(batchSize)
          .forUpdate()
          .skipLocked(),
      )
      .executeTakeFirst();
    const n = Number(result.numDeletedRows);
    deleted += n;
    if (n < batchSize) break;
  }
  return deleted;
}

/** Starts the workers and the outbox relay; returns a stop function. */
export function startBackgroundWork(
  db: Database,
  queues: QueueBackend,
  options: {
    batchSize?: number;
    pauseMs?: number;
    relayEveryMs?: number;
    /** How often the relay also sweeps published outbox rows past their retention. */
    sweepEveryMs?: number;
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
  const relayOptions: RelayOptions = { onError: options.onError, reported: new Set() };
  let lastSweep = 0;
  const sweepEveryMs = options.sweepEveryMs ?? 60_000;
  const relayAndSweep = async () => {
    await relayOutbox(db, queues, jobs, relayOptions);
    if (Date.now() - lastSweep < sweepEveryMs) return;
    lastSweep = Date.now();
    await sweepOutbox(db);
  };
  const tick = () => {
    if (stopped) return;
    running = relayAndSweep()
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
