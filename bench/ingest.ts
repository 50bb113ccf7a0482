import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { sign } from '../src/adapters/http/signature.js';
import { percentile } from './stats.js';

/**
 * Ingest workload (issue 6): the real server (`src/main.ts`, a child process on the bench's
 * database) receives signed inbound webhook requests over HTTP from many concurrent senders.
 * A 202 is sent only once the message is committed, so the request's latency is the time until
 * the message is in the lists of those who may see it; a sample is checked in the Owner's list.
 */
export interface IngestResult {
  messages: number;
  seconds: number;
  messagesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  sampleVisible: number;
  sampleChecked: number;
}

const pct = percentile;

// node:http with keep-alive: the senders must not be the bottleneck (fetch managed ~3,000
// requests/s here against a server that only answers 202, http.request ~14,000).
const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
const post = (url: URL, body: string, headers: Record<string, string>) =>
  new Promise<number>((resolve, reject) => {
    const request = http.request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end(body);
  });

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

export async function ingestWorkload(
  databaseUrl: string,
  options: { messages: number; concurrency: number; chats: number },
): Promise<IngestResult> {
  const port = await freePort();
  const platformToken = randomBytes(24).toString('hex');
  // BENCH_PROFILE=<dir> writes the server's CPU profile there.
  const profile = process.env.BENCH_PROFILE
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
    : [];
  const server = spawn(process.execPath, [...profile, '--import', 'tsx', 'src/main.ts'], {
    cwd: path.resolve(import.meta.dirname, '..'),
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      SWITCHBOARD_PLATFORM_TOKEN: platformToken,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      const ready = await fetch(`${base}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (i > 600) throw new Error('the server did not become ready in 60 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const call = async <T>(method: string, url: string, token: string, body?: unknown) => {
      const response = await fetch(`${base}${url}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      if (!response.ok)
        throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    };
    const org = await call<{ workspace: { id: string }; token: string }>(
      'POST',
      '/v1/organizations',
      platformToken,
      {
        name: 'Bench',
        workspace: { name: 'Bench' },
        owner: { email: 'owner@bench.test', name: 'Owner' },
      },
    );
    const ws = org.workspace.id;
    const { channel } = await call<{ channel: { id: string; inbound: { secret: string } } }>(
      'POST',
      `/v1/workspaces/${ws}/channels`,
      org.token,
      { type: 'webhook', name: 'Bench inbound', owner: { type: 'workspace' } },
    );
    const secret = channel.inbound.secret;
    const inbound = new URL(`${base}/v1/inbound/webhook/${channel.id}`);

    const send = async (i: number) => {
      const body = JSON.stringify({
        messageId: `bench-${i}`,
        chatId: `chat-${i % options.chats}`,
        contact: {
          name: `Contact ${i % options.chats}`,
          phone: String(4915100000000 + (i % options.chats)),
        },
        text: `message ${i}`,
        sentAt: new Date().toISOString(),
      });
      const timestamp = Math.floor(Date.now() / 1000);
      const started = performance.now();
      const status = await post(inbound, body, {
        'content-type': 'application/json',
        'x-switchboard-timestamp': String(timestamp),
        'x-switchboard-signature': sign(secret, timestamp, body),
      });
      if (status !== 202) throw new Error(`inbound ${i}: ${status}`);
      return performance.now() - started;
    };

    // Warm-up: connections, JIT, the workspace's caches.
    await Promise.all(Array.from({ length: 200 }, (_, i) => send(options.messages + i)));

    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (next < options.messages) {
          const i = next++;
          latencies.push(await send(i));
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;

    // Every 202 means committed: the newest chats must be in the Owner's list now.
    const list = await call<{ items: Array<{ lastMessagePreview: string }> }>(
      'GET',
      `/v1/workspaces/${ws}/chats?limit=200`,
      org.token,
    );
    const previews = new Set(list.items.map((c) => c.lastMessagePreview));
    const sample = Array.from(
      { length: Math.min(50, options.chats) },
      (_, k) => options.messages - 1 - k,
    );
    const sampleVisible = sample.filter((i) => previews.has(`message ${i}`)).length;
    return {
      messages: options.messages,
      seconds,
      messagesPerSecond: options.messages / seconds,
      p50Ms: pct(latencies, 50),
      p99Ms: pct(latencies, 99),
      sampleVisible,
      sampleChecked: sample.length,
    };
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
  }
}
