import { randomBytes } from 'node:crypto';
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createQueueBackend,
  type QueueBackend,
  type QueueBackendOptions,
} from '../../../src/adapters/queue/backend.js';
import { defineJob, enqueue, startWorker } from '../../../src/jobs/define-job.js';
import { createTestDatabase, redisUrl, type TestDatabase } from '../../support/database.js';

/**
 * The same producers and workers on both queue backends: BullMQ on PostgreSQL (the embedded
 * default) and on Redis (when REDIS_URL is set; CI sets it).
 */
const unique = () => randomBytes(4).toString('hex');

function waitFor<T>(emit: (resolve: (value: T) => void) => void, ms = 20_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nothing within ${ms} ms`)), ms);
    emit((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

function backendContract(makeOptions: () => QueueBackendOptions) {
  let queues: QueueBackend;
  beforeAll(() => {
    queues = createQueueBackend(makeOptions());
  });
  afterAll(() => queues.close());

  it('answers the readiness ping', async () => {
    await expect(queues.ping()).resolves.toBeUndefined();
  });

  it('runs a job through a worker and reports its progress and result', async () => {
    const double = defineJob({
      name: `double-${unique()}`,
      payload: z.object({ n: z.number().int() }),
      async handle({ n }, job) {
        await job.updateProgress({ done: 1, total: 1 });
        return n * 2;
      },
    });
    const worker = startWorker(queues, double);
    const completed = waitFor<[Job, unknown]>((resolve) =>
      worker.on('completed', (job, result) => resolve([job, result])),
    );
    const id = await enqueue(queues, double, { n: 21 });
    const [job, result] = await completed;
    expect(job.id).toBe(id);
    expect(result).toBe(42);
    const stored = await queues.queue(double.name).getJob(id);
    expect(stored?.progress).toEqual({ done: 1, total: 1 });
    expect(stored?.returnvalue).toBe(42);
  });

  it('refuses a bad payload at the producer, before anything is queued', async () => {
    const job = defineJob({
      name: `strict-${unique()}`,
      payload: z.object({ userId: z.string().min(1) }),
      handle: () => Promise.resolve(null),
    });
    await expect(enqueue(queues, job, { userId: '' })).rejects.toThrow();
    expect(await queues.queue(job.name).getJobCounts('waiting', 'delayed')).toEqual({
      waiting: 0,
      delayed: 0,
    });
  });

  it('fails a job whose stored payload is malformed at once, without retries', async () => {
    const job = defineJob({
      name: `strict-${unique()}`,
      payload: z.object({ userId: z.string().min(1) }),
      attempts: 5,
      handle: () => Promise.resolve(null),
    });
    const worker = startWorker(queues, job);
    const failed = waitFor<Job>((resolve) => worker.on('failed', (j) => j && resolve(j)));
    // Bypass the producer's validation, as a payload from an older release would.
    await queues.queue(job.name).add(job.name, { userId: 42 }, { attempts: 5 });
    const failedJob = await failed;
    expect(failedJob.attemptsMade).toBe(1);
    expect(failedJob.failedReason).toMatch(/invalid strict-.* payload/);
  });

  it('retries a job that fails for a passing reason, then completes it', async () => {
    let calls = 0;
    const flaky = defineJob({
      name: `flaky-${unique()}`,
      payload: z.object({}),
      attempts: 3,
      handle: () => {
        calls += 1;
        return calls < 2
          ? Promise.reject(new Error('database briefly down'))
          : Promise.resolve('done');
      },
    });
    const queue = queues.queue(flaky.name);
    const worker = startWorker(queues, flaky);
    const completed = waitFor<Job>((resolve) => worker.on('completed', (j) => resolve(j)));
    // The job's own backoff is 1 s; keep the test quick with a short fixed one.
    await queue.add(flaky.name, {}, { attempts: 3, backoff: { type: 'fixed', delay: 50 } });
    const job = await completed;
    expect(calls).toBe(2);
    expect(job.attemptsMade).toBe(2);
  });
}

describe('BullMQ on PostgreSQL (embedded default)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.drop());
  backendContract(() => ({ kind: 'postgres', url: t.url, schema: `bullmq_${unique()}` }));
});

const redis = redisUrl();
describe.skipIf(!redis)(`BullMQ on Redis${redis ? '' : ' (skipped: REDIS_URL is not set)'}`, () => {
  const prefix = `sbtest-${unique()}`;
  backendContract(() => ({ kind: 'redis', url: redis ?? '', prefix }));
  afterAll(async () => {
    const { Redis } = await import('ioredis');
    const client = new Redis(redis ?? '');
    const keys = await client.keys(`${prefix}:*`);
    if (keys.length) await client.del(...keys);
    await client.quit();
  });
});
