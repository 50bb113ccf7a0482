/**
 * A worker process for crash tests: runs Switchboard's background work against the given
 * database and queue until it is killed. Usage: tsx background-worker.ts (env below).
 */
import { createDatabase } from '../../src/adapters/db/database.js';
import { createQueueBackend } from '../../src/adapters/queue/backend.js';
import { startBackgroundWork } from '../../src/jobs/background.js';

const url = process.env.WORKER_DATABASE_URL ?? '';
const queue = JSON.parse(process.env.WORKER_QUEUE ?? '{}') as Parameters<
  typeof createQueueBackend
>[0];
const { db } = createDatabase({ url, maxConnections: 4 });
startBackgroundWork(db, createQueueBackend(queue), {
  batchSize: Number(process.env.WORKER_BATCH ?? 50),
  pauseMs: Number(process.env.WORKER_PAUSE_MS ?? 10),
  relayEveryMs: 100,
  lockDuration: 2_000,
  stalledInterval: 1_000,
});
process.stdout.write('worker started\n');
