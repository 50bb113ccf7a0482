import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  combinedLogContext,
  logContextMixin,
  withLogContext,
} from '../../../src/adapters/logging/log-context.js';
import { buildServer, type App } from '../../../src/adapters/http/server.js';
import { createQueueBackend, type QueueBackend } from '../../../src/adapters/queue/backend.js';
import { defineJob, enqueue, startWorker } from '../../../src/jobs/define-job.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

/**
 * Every log line of a request carries its request id, and every line of a job its job id —
 * also lines logged through the root logger by code the request or job called, after awaits
 * and after the body was read.
 */
function capture() {
  const lines: Array<Record<string, unknown> & { raw: string }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const raw of chunk.toString().split('\n').filter(Boolean))
        lines.push({ ...(JSON.parse(raw) as Record<string, unknown>), raw });
      done();
    },
  });
  const logger = pino({ level: 'info', mixin: logContextMixin }, stream);
  return { logger, lines };
}

describe('log lines of a request', () => {
  const { logger, lines } = capture();
  let app: App;
  let base = '';

  beforeAll(async () => {
    app = await buildServer({
      loggerInstance: logger,
      bodyLimitBytes: 64 * 1024,
      readiness: {},
      routes: (server) => {
        // Code a handler calls logs through the root logger, not request.log.
        server.get('/work', async () => {
          await sleep(5);
          logger.warn('working on a GET');
          return { ok: true };
        });
        server.post('/work', async (request) => {
          await sleep(5);
          logger.warn({ body: request.body }, 'working on a POST');
          return { ok: true };
        });
      },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => app.close());

  const linesWith = (msg: string) => lines.filter((l) => l.msg === msg);

  it('carry the caller’s X-Request-Id when it is a sane token, echoed back', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/work',
      headers: { 'x-request-id': 'edge-7f3a:01.b_c' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-request-id']).toBe('edge-7f3a:01.b_c');
    const [line] = linesWith('working on a GET');
    expect(line?.reqId).toBe('edge-7f3a:01.b_c');
    // fastify's own lines (request.log) bind reqId already: it is not written twice.
    const own = lines.filter(
      (l) => l.msg === 'request completed' && l.reqId === 'edge-7f3a:01.b_c',
    );
    expect(own).toHaveLength(1);
    expect(own[0]?.raw.match(/"reqId"/g)).toHaveLength(1);
  });

  it('carry a request id of their own when none or no sane one is given, and after the body is read', async () => {
    const given = [undefined, 'a'.repeat(129), 'two words', 'semi;colon', 'x\u00e9'];
    const ids: string[] = [];
    for (const header of given) {
      // Over a socket: the body arrives in events of its own, apart from the request's start.
      const res = await fetch(`${base}/work`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(header === undefined ? {} : { 'x-request-id': header }),
        },
        body: JSON.stringify({ n: ids.length }),
      });
      expect(res.status).toBe(200);
      const id = res.headers.get('x-request-id') as string;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      const line = linesWith('working on a POST').find(
        (l) => (l.body as { n: number }).n === ids.length,
      );
      expect(line?.reqId).toBe(id);
      ids.push(id);
    }
    expect(new Set(ids).size).toBe(given.length);
    expect(
      (
        await app.inject({
          method: 'GET',
          url: '/work',
          headers: { 'x-request-id': 'b'.repeat(128) },
        })
      ).headers['x-request-id'],
    ).toBe('b'.repeat(128));
  });

  it('carry it when the body arrives after the request has started', async () => {
    const body = JSON.stringify({ slow: true });
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${base}/work`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-request-id': 'slow-body',
        },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.flushHeaders();
      setTimeout(() => req.end(body), 50);
    });
    expect(status).toBe(200);
    const line = linesWith('working on a POST').find((l) => (l.body as { slow?: boolean }).slow);
    expect(line?.reqId).toBe('slow-body');
  });

  it('are apart from lines logged outside any request', async () => {
    await Promise.all([
      app.inject({ method: 'GET', url: '/work', headers: { 'x-request-id': 'one' } }),
      app.inject({ method: 'GET', url: '/work', headers: { 'x-request-id': 'two' } }),
    ]);
    logger.info('between requests');
    expect(
      linesWith('working on a GET')
        .map((l) => l.reqId)
        .slice(-2)
        .sort(),
    ).toEqual(['one', 'two']);
    expect(linesWith('between requests')[0]).not.toHaveProperty('reqId');
  });
});

describe('log lines of a job', () => {
  const { logger, lines } = capture();
  let t: TestDatabase;
  let queues: QueueBackend;
  const finished: Array<{ job: string; outcome: string; seconds: number }> = [];

  beforeAll(async () => {
    t = await createTestDatabase();
    queues = createQueueBackend({
      kind: 'postgres',
      url: t.url,
      schema: `bullmq_${randomBytes(4).toString('hex')}`,
      recorder: {
        jobFinished: (job, outcome, seconds) => finished.push({ job, outcome, seconds }),
      },
    });
  });
  afterAll(async () => {
    await queues?.close();
    await t?.drop();
  });

  it('carry its job id and name, and the recorder hears how each run ended', async () => {
    const name = `log-test-${randomBytes(4).toString('hex')}`;
    const job = defineJob({
      name,
      type: 'log-test',
      payload: z.object({ fail: z.boolean() }),
      attempts: 1,
      async handle({ fail }) {
        await sleep(5);
        logger.info({ fail }, 'working on a job');
        if (fail) throw new Error('told to fail');
        return 'done';
      },
    });
    const worker = startWorker(queues, job);
    let settled = 0;
    worker.on('completed', () => settled++);
    worker.on('failed', () => settled++);
    const ok = await enqueue(queues, job, { fail: false });
    const bad = await enqueue(queues, job, { fail: true });
    logger.info('enqueued');
    await expect.poll(() => settled, { timeout: 20_000 }).toBe(2);

    const byFail = (fail: boolean) =>
      lines.find((l) => l.msg === 'working on a job' && l.fail === fail);
    expect(byFail(false)).toMatchObject({ jobId: ok, job: name });
    expect(byFail(true)).toMatchObject({ jobId: bad, job: name });
    expect(lines.find((l) => l.msg === 'enqueued')).not.toHaveProperty('jobId');

    expect(finished.map((f) => [f.job, f.outcome]).sort()).toEqual([
      ['log-test', 'completed'],
      ['log-test', 'failed'],
    ]);
    // A duration was measured (not a clock check: timers may fire a hair before 5 ms).
    expect(finished.every((f) => Number.isFinite(f.seconds) && f.seconds > 0)).toBe(true);
  }, 30_000);
});

describe('work done for several requests at once (an ingest batch)', () => {
  it('names the one request, else every request and job it was done for', () => {
    expect(combinedLogContext([{ reqId: 'a' }, { reqId: 'a' }])).toEqual({ reqId: 'a' });
    expect(combinedLogContext([{ reqId: 'a' }, undefined, { reqId: 'b' }])).toEqual({
      reqIds: ['a', 'b'],
    });
    expect(
      combinedLogContext([{ reqId: 'a' }, { jobId: '7', job: 'inbound.retry' }, { reqId: 'b' }]),
    ).toEqual({ reqIds: ['a', 'b'], jobId: '7', job: 'inbound.retry' });
    expect(combinedLogContext([undefined])).toEqual({});
  });

  it('is what the mixin writes', () => {
    const { logger, lines } = capture();
    withLogContext(combinedLogContext([{ reqId: 'a' }, { reqId: 'b' }]), () =>
      logger.warn('ingest batch retried'),
    );
    expect(lines[0]).toMatchObject({ reqIds: ['a', 'b'], msg: 'ingest batch retried' });
  });
});
