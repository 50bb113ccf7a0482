import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';

/**
 * Which request or job a log line belongs to. Code called during a request or a job logs
 * through the root logger (callbacks of main.ts, the ingest pipeline, the event stream), not
 * through `request.log`; the context travels with the async call chain (AsyncLocalStorage)
 * and pino's `mixin` adds it to every line, so every line of a request carries its `reqId`
 * and every line of a job its `jobId` and `job` name.
 */
export interface LogContext {
  readonly reqId?: string;
  readonly jobId?: string;
  readonly job?: string;
  /** Work done for several requests or jobs at once (an ingest batch): all of them. */
  readonly reqIds?: readonly string[];
  readonly jobIds?: readonly string[];
  /**
   * Which door the work came through: `api` for every HTTP request, replaced by `slack` or
   * `crm` where those adapters take over. The audit log records it beside the actor.
   */
  readonly via?: 'api' | 'slack' | 'crm';
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs `work` (and everything it starts) with `context` on its log lines. */
export function withLogContext<T>(context: LogContext, work: () => T): T {
  return storage.run(context, work);
}

/** Runs `work` as the current request or job, come through another door (Slack, a CRM panel). */
export function viaAdapter<T>(via: NonNullable<LogContext['via']>, work: () => T): T {
  return storage.run({ ...storage.getStore(), via }, work);
}

/** The context of the request or job running now, to be restored later (`withLogContext`). */
export function currentLogContext(): LogContext | undefined {
  return storage.getStore();
}

/**
 * One context for work done on behalf of several (a batch of messages from several requests):
 * the one request's or job's fields when there is one, else the lists of their ids.
 */
export function combinedLogContext(contexts: ReadonlyArray<LogContext | undefined>): LogContext {
  const reqIds = distinct(contexts.flatMap((c) => c?.reqIds ?? (c?.reqId ? [c.reqId] : [])));
  const jobIds = distinct(contexts.flatMap((c) => c?.jobIds ?? (c?.jobId ? [c.jobId] : [])));
  const jobs = distinct(contexts.map((c) => c?.job));
  return {
    ...(reqIds.length === 1 ? { reqId: reqIds[0] } : reqIds.length ? { reqIds } : {}),
    ...(jobIds.length === 1 ? { jobId: jobIds[0] } : jobIds.length ? { jobIds } : {}),
    ...(jobs.length === 1 ? { job: jobs[0] } : {}),
  };
}

const distinct = (values: ReadonlyArray<string | undefined>): string[] => [
  ...new Set(values.filter((v): v is string => v !== undefined)),
];

const chindings = pino.symbols.chindingsSym;

/**
 * pino's `mixin` option: the current request's or job's fields. A fresh object each time
 * (pino merges the line's own fields into it). `request.log` binds `reqId` already, so it is
 * not added twice there.
 */
export function logContextMixin(_line: object, _level: number, logger: pino.Logger): object {
  const context = storage.getStore();
  if (!context) return {};
  const bound = (logger as unknown as Record<symbol, unknown>)[chindings];
  const copy = { ...context };
  if (copy.reqId && typeof bound === 'string' && bound.includes('"reqId":')) delete copy.reqId;
  return copy;
}

/** An incoming `X-Request-Id` is kept when it is a short token; anything else is replaced. */
const saneRequestId = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdFor(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && saneRequestId.test(given) ? given : randomUUID();
}

/**
 * Request ids and the log context for a fastify app: the id is the caller's `X-Request-Id`
 * when sane, else a new UUID; it is `request.id` (fastify's `reqId`), echoed as the
 * `X-Request-Id` response header, and the `reqId` of every line logged while the request runs.
 */
export function trackRequests(app: FastifyInstance): void {
  app.setGenReqId(requestIdFor);
  app.addHook('onRequest', (request, reply, done) => {
    // On the raw response, so a hijacked reply (the event stream) carries it too.
    reply.raw.setHeader('x-request-id', request.id);
    // Everything after this hook runs inside it; fastify carries the async context across
    // reading the body (its content-type parser runs in an AsyncResource of the request).
    storage.run({ reqId: request.id, via: 'api' }, done);
  });
}
