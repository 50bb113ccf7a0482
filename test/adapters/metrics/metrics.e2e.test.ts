import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  client,
  openStream,
  signedHeaders,
  startApi,
  startReceiver,
  type RunningApi,
} from '../../support/api.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

/**
 * GET /metrics after real traffic over a socket: requests timed by route template, an inbound
 * message ingested, jobs run, a stream open, webhook deliveries that failed then succeeded,
 * WhatsApp accounts by status, queue depths and the process metrics, all in Prometheus text.
 */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[key as string] = value as string;
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample with that name and (at least) those labels; undefined if none. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}) {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match`);
  return found[0]?.value;
}

describe('GET /metrics', () => {
  let t: TestDatabase;
  let api: RunningApi;
  let call: ReturnType<typeof client>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let ws = '';
  let owner = '';

  const scrape = async () => {
    const res = await fetch(`${api.base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parse(await res.text());
  };

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startApi(t, { metrics: true, webhookAttempts: 4 });
    call = client(api.base);
    // The receiver fails the first delivery, so one try fails and the retry succeeds.
    receiver = await startReceiver((n) => (n === 1 ? 500 : 200));
    const org = await call('POST', '/v1/organizations', {
      token: api.platformToken,
      body: { name: 'Acme', workspace: { name: 'W' }, owner: { email: 'o@acme.test', name: 'O' } },
    });
    expect(org.status).toBe(201);
    ws = org.body.workspace.id;
    owner = org.body.token;
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await receiver?.close();
    await t?.drop();
  });

  it('serves every series after traffic, with counts where traffic happened', async () => {
    const before = await scrape();
    expect(valueOf(before, 'switchboard_ingest_batches_total')).toBe(0);
    expect(valueOf(before, 'switchboard_event_streams_open')).toBe(0);

    const hook = await call('POST', `/v1/workspaces/${ws}/webhooks`, {
      token: owner,
      body: { url: receiver.url, events: ['message.created'] },
    });
    expect(hook.status).toBe(201);
    const ch = await call('POST', `/v1/workspaces/${ws}/channels`, {
      token: owner,
      body: { type: 'webhook', name: 'c', owner: { type: 'workspace' } },
    });
    expect(ch.status).toBe(201);
    expect((await call('GET', '/no/such/route')).status).toBe(404);
    const stream = await openStream(api.base, `/v1/workspaces/${ws}/events`, owner);
    expect(stream.status).toBe(200);
    await expect.poll(() => stream.events.some((e) => e.event === 'ready')).toBe(true);
    // A WhatsApp account, as its node would have left it.
    await t.db
      .insertInto('channel_accounts')
      .values({
        id: 'ch_wa_metrics',
        workspace_id: ws,
        type: 'whatsapp',
        name: 'phone',
        owner_type: 'workspace',
        status: 'disconnected',
      })
      .execute();

    const raw = JSON.stringify({
      messageId: 'm1',
      chatId: 'chat-1',
      contact: { name: 'Cus' },
      text: 'hello',
      sentAt: new Date().toISOString(),
    });
    const inbound = await call('POST', `/v1/inbound/webhook/${ch.body.channel.id}`, {
      raw,
      headers: signedHeaders(ch.body.channel.inbound.secret, raw),
    });
    expect(inbound.status).toBe(202);
    await expect.poll(() => receiver.received.length, { timeout: 15_000 }).toBe(2);
    // The job ends a moment after the receiver has answered: the worker records
    // its duration first, and BullMQ moves it to the completed set a moment later.
    let after = await scrape();
    await expect
      .poll(async () => {
        after = await scrape();
        return [
          valueOf(after, 'switchboard_job_duration_seconds_count', {
            job: 'webhook.deliver',
            outcome: 'completed',
          }),
          valueOf(after, 'switchboard_queue_jobs', {
            queue: 'webhook.deliver',
            state: 'completed',
          }),
        ];
      })
      .toEqual([1, 1]);
    const http = 'switchboard_http_request_duration_seconds_count';
    expect(
      valueOf(after, http, { method: 'POST', route: '/v1/organizations', status_code: '201' }),
    ).toBe(1);
    expect(
      valueOf(after, http, {
        method: 'POST',
        route: '/v1/workspaces/:ws/channels',
        status_code: '201',
      }),
    ).toBe(1);
    expect(
      valueOf(after, http, {
        method: 'POST',
        route: '/v1/inbound/webhook/:channelId',
        status_code: '202',
      }),
    ).toBe(1);
    // Not the raw URL: unmatched requests share one label.
    expect(valueOf(after, http, { method: 'GET', route: 'unmatched', status_code: '404' })).toBe(1);
    expect(after.some((s) => s.labels.route?.includes('/no/such'))).toBe(false);
    expect(after.some((s) => s.labels.route?.includes(ws))).toBe(false);

    expect(valueOf(after, 'switchboard_ingest_batches_total')).toBe(1);
    expect(valueOf(after, 'switchboard_ingest_messages_total', { outcome: 'stored' })).toBe(1);

    expect(valueOf(after, 'switchboard_webhook_deliveries_total', { outcome: 'failed' })).toBe(1);
    expect(valueOf(after, 'switchboard_webhook_deliveries_total', { outcome: 'succeeded' })).toBe(
      1,
    );
    const jobs = 'switchboard_job_duration_seconds_count';
    expect(valueOf(after, jobs, { job: 'webhook.deliver', outcome: 'failed' })).toBe(1);
    expect(valueOf(after, jobs, { job: 'webhook.deliver', outcome: 'completed' })).toBe(1);
    expect(
      valueOf(after, 'switchboard_job_duration_seconds_sum', {
        job: 'webhook.deliver',
        outcome: 'completed',
      }),
    ).toBeGreaterThan(0);
    expect(
      valueOf(after, 'switchboard_queue_jobs', { queue: 'webhook.deliver', state: 'completed' }),
    ).toBe(1);
    expect(
      valueOf(after, 'switchboard_queue_jobs', { queue: 'webhook.deliver', state: 'waiting' }),
    ).toBe(0);

    expect(valueOf(after, 'switchboard_event_streams_open')).toBe(1);
    expect(valueOf(after, 'switchboard_whatsapp_accounts', { status: 'disconnected' })).toBe(1);
    expect(valueOf(after, 'switchboard_whatsapp_accounts', { status: 'connected' })).toBe(0);

    // prom-client's default process metrics, in this server's own registry.
    expect(valueOf(after, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(valueOf(after, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);

    stream.close();
    await expect
      .poll(async () => valueOf(await scrape(), 'switchboard_event_streams_open'))
      .toBe(0);
  }, 30_000);
});
