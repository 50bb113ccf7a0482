import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startMain, waitReady } from './support/main-process.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

/**
 * SWITCHBOARD_METRICS as `npm start` reads it: `/metrics` on the main port by default, on a
 * port of its own when given one (and then not on the main port), nowhere when `off`.
 */

describe('SWITCHBOARD_METRICS', () => {
  let t: TestDatabase;
  let dataDir: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-metrics-'));
  });
  afterAll(async () => {
    await t?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Starts the server with the setting, runs `check`, then stops it cleanly. */
  async function withServer(
    metrics: string | undefined,
    check: (ports: { main: number }) => Promise<void>,
    extraEnv: Record<string, string> = {},
  ): Promise<string> {
    const main = await freePort();
    const running = startMain({
      DATABASE_URL: t.url,
      SWITCHBOARD_DATA_DIR: dataDir,
      PORT: String(main),
      HOST: '127.0.0.1',
      ...(metrics === undefined ? {} : { SWITCHBOARD_METRICS: metrics }),
      ...extraEnv,
    });
    try {
      await waitReady(main, running);
      await check({ main });
    } finally {
      running.child.kill('SIGTERM');
    }
    expect(await running.exited).toBe(0);
    return running.output();
  }

  it('serves /metrics on the main port by default, and request log lines carry the request id', async () => {
    const output = await withServer(undefined, async ({ main }) => {
      const traced = await fetch(`http://127.0.0.1:${main}/healthz`, {
        headers: { 'x-request-id': 'probe-42' },
      });
      expect(traced.headers.get('x-request-id')).toBe('probe-42');
      const res = await fetch(`http://127.0.0.1:${main}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toMatch(
        /^switchboard_http_request_duration_seconds_count\{method="GET",route="\/healthz",status_code="200"\} 1$/m,
      );
      expect(text).toMatch(
        /^switchboard_queue_jobs\{queue="webhook\.deliver",state="waiting"\} 0$/m,
      );
      expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    });
    expect(output).toMatch(/"reqId":"probe-42".*"msg":"request completed"/);
  }, 120_000);

  it('off: /metrics is not served', async () => {
    await withServer('off', async ({ main }) => {
      expect((await fetch(`http://127.0.0.1:${main}/metrics`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${main}/healthz`)).status).toBe(200);
    });
  }, 120_000);

  it('a port number: /metrics alone on that port, not on the main one', async () => {
    const port = await freePort();
    const output = await withServer(String(port), async ({ main }) => {
      expect((await fetch(`http://127.0.0.1:${main}/healthz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${main}/metrics`)).status).toBe(404);
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      // The main port's requests are counted there, the 404 included, by route template.
      expect(text).toMatch(
        /^switchboard_http_request_duration_seconds_count\{method="GET",route="\/healthz",status_code="200"\} 1$/m,
      );
      expect(text).toMatch(
        /^switchboard_http_request_duration_seconds_count\{method="GET",route="unmatched",status_code="404"\} 1$/m,
      );
      expect(text).toMatch(/^switchboard_event_streams_open 0$/m);
      expect(text).toMatch(/^switchboard_whatsapp_accounts\{status="connected"\} 0$/m);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(404);
    });
    expect(output).toContain(`metrics: http://127.0.0.1:${port}/metrics`);
    // Stopped with the rest.
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  }, 120_000);
});
