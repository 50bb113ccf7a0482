import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Slack, where the bot meets it: a local Web API (`users.info`, `conversations.open`, the
 * three steps of `files.uploadV2`) that records every call, and the `response_url`s Slack
 * gives commands and button clicks, which record what the bot posts to them. Requests to the
 * bot are signed exactly as Slack signs them.
 */
export interface FakeSlack {
  /** The Web API base URL (`SLACK_API_URL`), ending in `/`. */
  apiUrl: string;
  /** Slack users: id → profile email (undefined: Slack gives no email). */
  users: Map<string, string | undefined>;
  calls: Array<{ method: string; params: Record<string, string>; token: string | undefined }>;
  /** How long `users.info` takes to answer (a slow Slack). */
  usersInfoDelayMs: number;
  /** What was uploaded to an upload URL: the raw body and the file part of its form. */
  uploads: Array<{ fileId: string; content: string; file: string }>;
  completed: Array<Record<string, string>>;
  /** A new response_url; `posts` receives what the bot sends to it. */
  responseUrl(): { url: string; posts: Array<Record<string, unknown>> };
  close(): Promise<void>;
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const users = new Map<string, string | undefined>();
  const calls: FakeSlack['calls'] = [];
  const uploads: FakeSlack['uploads'] = [];
  const completed: FakeSlack['completed'] = [];
  const responses = new Map<string, Array<Record<string, unknown>>>();
  let base = '';
  let nextFile = 1;
  let nextResponse = 1;

  const fake = { usersInfoDelayMs: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', base);
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname.startsWith('/response/')) {
        responses.get(url.pathname)?.push(JSON.parse(raw) as Record<string, unknown>);
        return json(200, { ok: true });
      }
      if (url.pathname.startsWith('/upload/')) {
        uploads.push({
          fileId: url.pathname.slice('/upload/'.length),
          content: raw,
          file: filePart(raw, req.headers['content-type']),
        });
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end(`OK - ${raw.length}`);
      }
      const method = url.pathname.replace(/^\/api\//, '');
      const params = req.headers['content-type']?.startsWith('application/json')
        ? (JSON.parse(raw) as Record<string, string>)
        : Object.fromEntries(new URLSearchParams(raw));
      const auth = req.headers.authorization;
      calls.push({ method, params, token: auth?.replace(/^Bearer /, '') });
      switch (method) {
        case 'users.info': {
          const id = params.user ?? '';
          const email = users.get(id);
          const answer = users.has(id)
            ? { ok: true, user: { id, name: id.toLowerCase(), profile: email ? { email } : {} } }
            : { ok: false, error: 'user_not_found' };
          setTimeout(() => json(200, answer), fake.usersInfoDelayMs);
          return;
        }
        case 'conversations.open':
          return json(200, { ok: true, channel: { id: `D${params.users ?? ''}` } });
        case 'files.getUploadURLExternal': {
          const fileId = `F${nextFile++}`;
          return json(200, { ok: true, upload_url: `${base}upload/${fileId}`, file_id: fileId });
        }
        case 'files.completeUploadExternal':
          completed.push(params);
          return json(200, {
            ok: true,
            files: (JSON.parse(params.files ?? '[]') as Array<{ id: string }>).map((f) => ({
              id: f.id,
            })),
          });
        default:
          return json(200, { ok: false, error: 'unknown_method' });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return Object.assign(fake, {
    apiUrl: `${base}api/`,
    users,
    calls,
    uploads,
    completed,
    responseUrl() {
      const path = `/response/${nextResponse++}`;
      const posts: Array<Record<string, unknown>> = [];
      responses.set(path, posts);
      return { url: `${base}${path.slice(1)}`, posts };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** The content of a multipart form's file part (what `files.uploadV2` posts). */
function filePart(raw: string, contentType: string | undefined): string {
  const boundary = /boundary=([^;]+)/.exec(contentType ?? '')?.[1];
  if (!boundary) return raw;
  for (const part of raw.split(`--${boundary}`)) {
    const cut = part.indexOf('\r\n\r\n');
    if (cut >= 0 && part.slice(0, cut).includes('filename=')) {
      return part.slice(cut + 4).replace(/\r\n$/, '');
    }
  }
  return raw;
}

/** Slack's request signature: `v0=` HMAC-SHA256 of `v0:<timestamp>:<raw body>`. */
export function slackHeaders(
  secret: string,
  raw: string,
  contentType: string,
  at = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const signature = createHmac('sha256', secret).update(`v0:${at}:${raw}`).digest('hex');
  return {
    'content-type': contentType,
    'x-slack-request-timestamp': String(at),
    'x-slack-signature': `v0=${signature}`,
  };
}
