import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  client,
  createWorkspaceWithChannel,
  signedHeaders,
  startApi,
  type RunningApi,
} from '../../support/api.js';
import { createTestDatabase, redisUrl, type TestDatabase } from '../../support/database.js';

/**
 * Request rate limits (issue 22 §2): per API token, per client address without one, a handful
 * of invitation accepts per address, per channel for inbound webhooks; 429 `rate_limited` with
 * `Retry-After`; counted together by every node on one Redis.
 */
const settings = { perToken: 5, perAddress: 4, acceptPerAddress: 3, inboundPerChannel: 6 };

describe('rate limits', () => {
  let t: TestDatabase;
  let api: RunningApi;
  let call: ReturnType<typeof client>;

  beforeAll(async () => {
    t = await createTestDatabase();
    api = await startApi(t, { rateLimits: { settings } });
    call = client(api.base);
  });
  afterAll(async () => {
    await api.close();
    await t.drop();
  });

  it('guessing invitation tokens gets 429 with Retry-After after a handful', async () => {
    const answers = [];
    for (let i = 0; i < 5; i++) {
      answers.push(
        await call('POST', '/v1/invitations/accept', { body: { token: `sbi_guess${i}` } }),
      );
    }
    // Unknown tokens are refused for what they are, until the address has tried three times.
    expect(answers.map((a) => a.status)).toEqual([404, 404, 404, 429, 429]);
    const limited = answers[3]!;
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('a token has its own budget; health checks are never limited', async () => {
    // The owner's token made one request already: it created the channel.
    const { owner } = await createWorkspaceWithChannel(api, 'Limits');
    const statuses = [];
    for (let i = 0; i < 7; i++)
      statuses.push((await call('GET', '/v1/me', { token: owner })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429, 429]);
    const other = await createWorkspaceWithChannel(api, 'Limits Two');
    expect((await call('GET', '/v1/me', { token: other.owner })).status).toBe(200);
    for (let i = 0; i < 10; i++) expect((await call('GET', '/healthz')).status).toBe(200);
  });

  it('inbound webhooks count per channel: one busy channel does not stop another', async () => {
    const a = await createWorkspaceWithChannel(api, 'Inbound A');
    const b = await createWorkspaceWithChannel(api, 'Inbound B');
    const send = (channel: { id: string; secret: string }, i: number) => {
      const raw = JSON.stringify({
        messageId: `m${i}`,
        chatId: 'c1',
        contact: { name: 'C', phone: '+4930123456' },
        text: 'hi',
        sentAt: new Date().toISOString(),
      });
      return call('POST', `/v1/inbound/webhook/${channel.id}`, {
        raw,
        headers: signedHeaders(channel.secret, raw),
      });
    };
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push((await send(a.channel, i)).status);
    expect(statuses).toEqual([202, 202, 202, 202, 202, 202, 429, 429]);
    expect((await send(b.channel, 0)).status).toBe(202);
  });
});

const redis = redisUrl();
describe(`rate limits on Redis${redis ? '' : ' (skipped: REDIS_URL is not set)'}`, () => {
  if (!redis) {
    it.skip('needs REDIS_URL', () => undefined);
    return;
  }
  let t: TestDatabase;
  let nodeA: RunningApi;
  let nodeB: RunningApi;

  beforeAll(async () => {
    t = await createTestDatabase();
    const shared = {
      settings,
      redisUrl: redis,
      redisNameSpace: `sbtest-rl-${randomBytes(4).toString('hex')}:`,
    };
    nodeA = await startApi(t, { rateLimits: shared });
    nodeB = await startApi(t, { rateLimits: shared });
  });
  afterAll(async () => {
    await nodeB.close();
    await nodeA.close();
    await t.drop();
  });

  it('two nodes count one token together', async () => {
    const { owner } = await createWorkspaceWithChannel(nodeA, 'Shared');
    const a = client(nodeA.base);
    const b = client(nodeB.base);
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await (i % 2 ? b : a)('GET', '/v1/me', { token: owner })).status);
    }
    // One request went to creating the channel (node A): four more, across both nodes.
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  });
});
