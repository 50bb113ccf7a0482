import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createWorkspaceWithChannel,
  signedHeaders,
  startApi,
  type RunningApi,
} from '../../support/api.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

/**
 * A body over the limit is answered 413 to a sender that keeps writing it — Node's own
 * `fetch`, which reads a socket closed under its upload as EPIPE and sends the message again
 * — and nothing of it is stored. The sender runs in a process of its own, as a real one does:
 * in the server's process its writes and the server's reads take turns and hide the race.
 */
interface Outcome {
  status?: number;
  body?: { error?: { code?: string } };
  error?: string;
}

const sender = `
const [url, headers, size, chunked] = JSON.parse(process.argv[1]);
const part = Buffer.alloc(64 * 1024, 'x');
let body;
if (chunked) {
  let sent = 0;
  body = new ReadableStream({
    pull(c) {
      if (sent >= size) return c.close();
      sent += part.length;
      c.enqueue(new Uint8Array(part));
    },
  });
} else {
  body = '{"text":"' + 'x'.repeat(size) + '"}';
}
try {
  const res = await fetch(url, { method: 'POST', headers, body, duplex: 'half' });
  const text = await res.text();
  let parsed;
  try { parsed = JSON.parse(text); } catch {}
  console.log(JSON.stringify({ status: res.status, body: parsed }));
} catch (e) {
  console.log(JSON.stringify({ error: e.cause?.code ?? e.message }));
}`;

function sendFromAnotherProcess(
  url: string,
  headers: Record<string, string>,
  size: number,
  chunked = false,
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', sender, JSON.stringify([url, headers, size, chunked])],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve(JSON.parse(out) as Outcome);
      } catch {
        reject(new Error(`the sender printed: ${out}`));
      }
    });
  });
}

describe('a body over the limit, sent by Node fetch from another process', () => {
  // The server's default; 16 × is read and discarded. Bodies of several MB outgrow the
  // loopback socket's buffers, so a server that closes early is seen to.
  const limit = 1024 * 1024;
  let t: TestDatabase;
  let api: RunningApi;
  let url = '';
  let secret = '';
  const stored = async () =>
    Number(
      (
        await t.db
          .selectFrom('messages')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startApi(t, { bodyLimitBytes: limit });
    const { channel } = await createWorkspaceWithChannel(api, 'Big Co');
    url = `${api.base}/v1/inbound/webhook/${channel.id}`;
    secret = channel.secret;
  });

  afterAll(async () => {
    await api?.close();
    await t?.drop();
  });

  const headersFor = (size: number) => ({
    'content-type': 'application/json',
    // Signed over a body of this size; the signature is never reached.
    ...signedHeaders(secret, `{"text":"${'x'.repeat(size)}"}`),
  });

  it('answers 413 once the client has sent it all (content-length known)', async () => {
    const size = 8 * limit;
    const outcome = await sendFromAnotherProcess(url, headersFor(size), size);
    expect(outcome).toEqual({
      status: 413,
      body: { error: { code: 'invalid_input', message: 'the request body is too large' } },
    });
    expect(await stored()).toBe(0);
  });

  it('answers 413 to a streamed body (no content-length) past the limit', async () => {
    const outcome = await sendFromAnotherProcess(url, headersFor(0), 6 * limit, true);
    expect(outcome.status).toBe(413);
    expect(outcome.body?.error?.code).toBe('invalid_input');
    expect(await stored()).toBe(0);
  });

  it('beyond the bound (16 × the limit) gives up on the body, and the server goes on', async () => {
    const size = 40 * limit;
    const outcome = await sendFromAnotherProcess(url, headersFor(size), size);
    // Either the 413 arrived before the socket closed, or the sender saw the close: never a 2xx.
    if (outcome.status !== undefined) expect(outcome.status).toBe(413);
    else expect(outcome.error).toMatch(/EPIPE|ECONNRESET|UND_ERR_SOCKET|other side closed/);
    expect(await stored()).toBe(0);
    const healthy = await fetch(`${api.base}/healthz`);
    expect(healthy.status).toBe(200);
  });

  it('a message within the limit is still taken', async () => {
    const raw = JSON.stringify({
      messageId: 'small',
      chatId: '4930123456@c.us',
      contact: { name: 'Small' },
      text: 'fits',
      sentAt: new Date().toISOString(),
    });
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signedHeaders(secret, raw) },
      body: raw,
    });
    expect(res.status).toBe(202);
    expect(await stored()).toBe(1);
  });
});
