import type { InboundMessage } from '../../core/chats/inbound-message.js';
import {
  combinedLogContext,
  currentLogContext,
  withLogContext,
  type LogContext,
} from '../logging/log-context.js';
import type { Database } from './database.js';
import { ingestBatch, type AfterIngest, type IngestResult } from './ingest.js';

/**
 * Inbound messages from every channel go through one pipeline per process: they are gathered
 * for at most `maxWaitMs` (or until `maxBatch` wait) and written by `ingestBatch` in one
 * transaction, so under load the database sees a few set-based statements per few hundred
 * messages instead of a transaction per message. A caller's promise settles when its message
 * is committed (or has failed for good), so an HTTP channel acknowledges only what is stored.
 *
 * A batch that fails because the database is unreachable, restarting or busy (or lost a race
 * to another process) is tried again with backoff for about `retryForMs`; a batch that fails
 * for any other reason is split, so one bad message fails alone.
 */
export interface IngestPipeline {
  submit(message: InboundMessage): Promise<IngestResult>;
  /** Writes what is gathered and waits for batches in flight. */
  close(): Promise<void>;
}

export interface IngestPipelineOptions {
  maxBatch?: number;
  maxWaitMs?: number;
  /** Batches written at the same time (each holds a pooled connection). */
  concurrency?: number;
  retryForMs?: number;
  afterIngest?: AfterIngest;
  /** `afterIngest` failed: its writes were undone, the messages are stored all the same. */
  onAfterIngestError?: (error: unknown) => void;
  onRetry?: (error: unknown, attempt: number) => void;
  /** Counts what the pipeline does (metrics). */
  recorder?: IngestRecorder;
}

/** Told of every committed batch and every message that failed for good. */
export interface IngestRecorder {
  ingestBatch(outcomes: { stored: number; duplicate: number }): void;
  ingestFailed(messages: number): void;
}

interface Pending {
  message: InboundMessage;
  /** The submitter's request or job: a batch's log lines name those it writes for. */
  context: LogContext | undefined;
  resolve: (result: IngestResult) => void;
  reject: (error: unknown) => void;
}

export function createIngestPipeline(
  db: Database,
  options: IngestPipelineOptions = {},
): IngestPipeline {
  const maxBatch = options.maxBatch ?? 500;
  const maxWaitMs = options.maxWaitMs ?? 2;
  const concurrency = options.concurrency ?? 2;
  const retryForMs = options.retryForMs ?? 10_000;
  let waiting: Pending[] = [];
  let timer: NodeJS.Timeout | undefined;
  let inFlight = 0;
  const running = new Set<Promise<void>>();
  let closed = false;

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    while (waiting.length && inFlight < concurrency) {
      const batch = waiting.slice(0, maxBatch);
      waiting = waiting.slice(batch.length);
      inFlight++;
      const done = write(batch).finally(() => {
        inFlight--;
        running.delete(done);
        if (waiting.length) schedule();
      });
      running.add(done);
    }
  };

  const schedule = () => {
    if (waiting.length >= maxBatch || closed) flush();
    else timer ??= setTimeout(flush, maxWaitMs);
  };

  const write = (batch: Pending[]): Promise<void> =>
    withLogContext(combinedLogContext(batch.map((p) => p.context)), () => writeNow(batch));

  const writeNow = async (batch: Pending[]): Promise<void> => {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        const results = await ingestBatch(
          db,
          batch.map((p) => p.message),
          options.afterIngest,
          options.onAfterIngestError,
        );
        const duplicate = results.filter((r) => r.duplicate).length;
        options.recorder?.ingestBatch({ stored: results.length - duplicate, duplicate });
        batch.forEach((p, i) => {
          const result = results[i];
          if (result) p.resolve(result);
          else p.reject(new Error('no result for this message'));
        });
        return;
      } catch (error) {
        if (isTransient(error) && Date.now() - started < retryForMs) {
          options.onRetry?.(error, attempt);
          await sleep(Math.min(2_000, 50 * 2 ** (attempt - 1)));
          continue;
        }
        if (batch.length > 1 && !isTransient(error)) {
          // Something in the batch is wrong: find it by writing each message alone.
          await Promise.all(batch.map((p) => write([p])));
          return;
        }
        options.recorder?.ingestFailed(batch.length);
        for (const p of batch) p.reject(error);
        return;
      }
    }
  };

  return {
    submit(message) {
      if (closed) return Promise.reject(new Error('the ingest pipeline is closed'));
      return new Promise<IngestResult>((resolve, reject) => {
        waiting.push({ message, context: currentLogContext(), resolve, reject });
        schedule();
      });
    },
    async close() {
      closed = true;
      while (waiting.length || running.size) {
        flush();
        await Promise.all([...running]);
      }
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Worth trying again: the connection failed or the server is starting, stopping or out of
 * connections (class 08, 57P0x, 53300), or a concurrent writer won a race (deadlock,
 * serialization failure, a unique key another batch took first).
 */
export function isTransient(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof message === 'string' && /Connection terminated|connection timeout/i.test(message))
    return true;
  if (typeof code !== 'string') return false;
  return (
    code.startsWith('08') ||
    ['57P01', '57P02', '57P03', '53300', '40001', '40P01', '23505'].includes(code) ||
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(code)
  );
}
