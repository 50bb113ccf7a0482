import {
  createPostgresBackend,
  Queue,
  Worker,
  withBackend,
  type Processor,
  type WorkerOptions,
} from 'bullmq';
import { Redis } from 'ioredis';

/**
 * One place that knows where BullMQ keeps its jobs: Redis when `REDIS_URL` is set,
 * otherwise BullMQ's PostgreSQL backend in its own schema of Switchboard's database.
 * Producers and workers are written once against this and run the same on both.
 */
export type QueueBackendKind = 'redis' | 'postgres';

/** Told how each job run by a worker ended and how long it took (metrics). */
export interface JobRecorder {
  jobFinished(job: string, outcome: 'completed' | 'failed' | 'delayed', seconds: number): void;
}

export interface QueueBackend {
  readonly kind: QueueBackendKind;
  /** Where workers report their jobs' outcomes (`startWorker`), if anywhere. */
  readonly recorder: JobRecorder | undefined;
  /** A producer for the named queue. Queues are cached: one instance per name. */
  queue<Data = unknown, Result = unknown>(name: string): Queue<Data, Result>;
  /** A worker for the named queue, on its own connection. Closed by `close()`. */
  worker<Data = unknown, Result = unknown>(
    name: string,
    processor: Processor<Data, Result>,
    options?: Omit<WorkerOptions, 'connection' | 'prefix'>,
  ): Worker<Data, Result>;
  /** Readiness probe: one round trip through the backend. */
  ping(): Promise<void>;
  /** Jobs per state of every queue this process has used (a producer or a worker), for metrics. */
  jobCounts(): Promise<Map<string, Record<string, number>>>;
  /** Closes workers first (letting running jobs finish), then producers and connections. */
  close(): Promise<void>;
}

export type QueueBackendOptions =
  | {
      kind: 'redis';
      url: string;
      /** Key prefix; tests use a unique one per file. */
      prefix?: string;
      recorder?: JobRecorder;
      onError?: (error: Error, queue: string) => void;
    }
  | {
      kind: 'postgres';
      url: string;
      /** Schema holding BullMQ's tables; tests use a unique one per file. */
      schema?: string;
      recorder?: JobRecorder;
      /** A worker's connection failed (it reconnects by itself); not called once closing. */
      onError?: (error: Error, queue: string) => void;
    };

const HEALTH_QUEUE = 'switchboard-health';
const COUNTED_STATES = [
  'waiting',
  'prioritized',
  'active',
  'delayed',
  'waiting-children',
  'failed',
  'completed',
] as const;

export function createQueueBackend(options: QueueBackendOptions): QueueBackend {
  const queues = new Map<string, Queue>();
  const workers = new Set<Worker>();
  const redisClients = new Set<Redis>();
  let closing = false;

  const makeRedis = (url: string) => {
    // BullMQ requires maxRetriesPerRequest: null on connections that block (workers),
    // and it is harmless on producers: commands wait for a reconnect instead of failing.
    const client = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
    client.on('error', () => undefined); // surfaced through ping() and job failures
    redisClients.add(client);
    return client;
  };

  let newQueue: (name: string) => Queue;
  let newWorker: (name: string, processor: Processor, options: WorkerOptions | object) => Worker;

  if (options.kind === 'redis') {
    const producerConnection = makeRedis(options.url);
    const prefix = options.prefix ?? 'switchboard';
    newQueue = (name) => new Queue(name, { connection: producerConnection, prefix });
    newWorker = (name, processor, workerOptions) =>
      new Worker(name, processor, {
        ...workerOptions,
        prefix,
        connection: makeRedis(options.url),
      });
  } else {
    const postgres = withBackend(createPostgresBackend);
    const connection = {
      connectionString: options.url,
      schema: options.schema ?? 'bullmq',
      migrate: true,
      max: 4,
    };
    newQueue = (name) => new postgres.Queue(name, { connection }) as unknown as Queue;
    newWorker = (name, processor, workerOptions) =>
      new postgres.Worker(name, processor, { ...workerOptions, connection }) as unknown as Worker;
  }

  const backend: QueueBackend = {
    kind: options.kind,
    recorder: options.recorder,
    queue<Data, Result>(name: string) {
      let queue = queues.get(name);
      if (!queue) {
        queue = newQueue(name);
        queue.on('error', () => undefined); // surfaced through ping() and add() rejections
        queues.set(name, queue);
      }
      return queue as unknown as Queue<Data, Result>;
    },
    worker<Data, Result>(
      name: string,
      processor: Processor<Data, Result>,
      workerOptions: Omit<WorkerOptions, 'connection' | 'prefix'> = {},
    ) {
      const worker = newWorker(name, processor, workerOptions);
      workers.add(worker);
      // Workers that come and go (one per WhatsApp account this node runs) are not kept.
      worker.on('closed', () => workers.delete(worker));
      // Without a listener BullMQ prints the error with console.error, the client and all.
      worker.on('error', (error) => {
        if (!closing) options.onError?.(error, name);
      });
      return worker as Worker<Data, Result>;
    },
    async ping() {
      await backend.queue(HEALTH_QUEUE).getJobCounts('waiting');
    },
    async jobCounts() {
      const names = new Set([...queues.keys(), ...[...workers].map((w) => w.name)]);
      names.delete(HEALTH_QUEUE);
      const counts = await Promise.all(
        [...names].map(
          async (name) =>
            [name, await backend.queue(name).getJobCounts(...COUNTED_STATES)] as const,
        ),
      );
      return new Map(counts);
    },
    async close() {
      closing = true;
      await Promise.all([...workers].map((worker) => worker.close()));
      await Promise.all([...queues.values()].map((queue) => queue.close()));
      await Promise.all([...redisClients].map((client) => client.quit().catch(() => undefined)));
      workers.clear();
      queues.clear();
      redisClients.clear();
    },
  };
  return backend;
}
