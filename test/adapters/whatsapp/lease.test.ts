import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  acquireLease,
  createPostgresLeases,
  createRedisLeases,
  type Leases,
} from '../../../src/adapters/whatsapp/lease.js';
import { createTestDatabase, redisUrl, type TestDatabase } from '../../support/database.js';

/**
 * Rule (PRODUCT.md §6): each WhatsApp account runs on exactly one node at a time, and another
 * node takes over when the holder dies. Two "nodes" live in this process (two connections),
 * a third in a child process that is killed.
 */
const root = path.resolve(import.meta.dirname, '../../..');
const unique = () => randomBytes(4).toString('hex');
const children: ChildProcess[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => undefined);
});

/** Starts a node in its own process holding `key`; resolves once it holds it. */
async function holdInChild(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/adapters/whatsapp/fixtures/hold-lease.ts'],
    {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', (code) => reject(new Error(`lease child exited with ${code}`)));
  });
  expect(line).toBe('held');
  return child;
}

/** Polls until `leases` gets the lease; returns when (ms since epoch) it did. */
async function takeWhenFree(leases: Leases, key: string, timeoutMs: number) {
  const started = Date.now();
  for (;;) {
    const lease = await leases.tryAcquire(key);
    if (lease) return { lease, at: Date.now() };
    if (Date.now() - started > timeoutMs)
      throw new Error(`lease ${key} not free after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('lease on PostgreSQL (advisory lock on a dedicated connection)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t?.drop());

  const node = (name: string) => {
    const leases = createPostgresLeases({
      connectionString: t.url,
      applicationName: `lease-${name}`,
      heartbeatMs: 200,
    });
    cleanups.push(() => leases.close());
    return leases;
  };

  it('one holder at a time; the same node cannot take its own lease twice; release hands it over', async () => {
    const [a, b] = [node(`a${unique()}`), node(`b${unique()}`)];
    const key = `ch_${unique()}`;
    const held = await a.tryAcquire(key);
    expect(held).not.toBeNull();
    expect(await b.tryAcquire(key)).toBeNull();
    expect(await a.tryAcquire(key)).toBeNull();
    expect(await b.tryAcquire(`${key}-other`)).not.toBeNull();
    await held?.release();
    expect(held?.lost.aborted).toBe(true);
    expect(await b.tryAcquire(key)).not.toBeNull();
  });

  it("when the holder's connection dies, the holder is told (lost) and another node takes over", async () => {
    const name = `a${unique()}`;
    const [a, b] = [node(name), node(`b${unique()}`)];
    const key = `ch_${unique()}`;
    const held = await a.tryAcquire(key);
    expect(await b.tryAcquire(key)).toBeNull();
    await sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = ${`lease-${name}`}`.execute(
      t.db,
    );
    await vi.waitFor(() => expect(held?.lost.aborted).toBe(true), { timeout: 5_000 });
    expect(await b.tryAcquire(key)).not.toBeNull();
    // The lost node reconnects for new work but cannot take the lease back.
    expect(await a.tryAcquire(key)).toBeNull();
  });

  it('when the holding process is killed, another node takes over within seconds', async () => {
    const b = node(`b${unique()}`);
    const key = `ch_${unique()}`;
    const child = await holdInChild({ LEASE_KIND: 'postgres', LEASE_URL: t.url, LEASE_KEY: key });
    expect(await b.tryAcquire(key)).toBeNull();
    child.kill('SIGKILL');
    const { lease } = await takeWhenFree(b, key, 10_000);
    expect(lease.lost.aborted).toBe(false);
  });

  it('acquireLease waits for the holder to let go, and stops waiting when aborted', async () => {
    const [a, b] = [node(`a${unique()}`), node(`b${unique()}`)];
    const key = `ch_${unique()}`;
    const held = await a.tryAcquire(key);
    const waiting = acquireLease(b, key, { retryMs: 50 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await held?.release();
    expect((await waiting).key).toBe(key);

    const aborter = new AbortController();
    const other = acquireLease(a, key, { retryMs: 50, signal: aborter.signal });
    aborter.abort();
    await expect(other).rejects.toThrow();
  });

  it('close() gives up every lease of the node', async () => {
    const [a, b] = [node(`a${unique()}`), node(`b${unique()}`)];
    const key = `ch_${unique()}`;
    const held = await a.tryAcquire(key);
    await a.close();
    expect(held?.lost.aborted).toBe(true);
    expect(await b.tryAcquire(key)).not.toBeNull();
  });
});

const redis = redisUrl();
const redisLabel = redis
  ? 'lease on Redis (SET NX PX, renewed by token)'
  : 'lease on Redis (skipped: REDIS_URL is not set)';

describe(redisLabel, () => {
  if (!redis) {
    it.skip('needs REDIS_URL', () => undefined);
    return;
  }
  const prefix = `sbtest-lease-${unique()}:`;
  const ttlMs = 600;

  const connect = () => {
    const client = new Redis(redis);
    cleanups.push(() => client.quit().catch(() => client.disconnect()));
    return client;
  };
  const node = (client = connect()) => {
    const leases = createRedisLeases({ redis: client, ttlMs, renewEveryMs: 150, prefix });
    cleanups.push(() => leases.close());
    return leases;
  };

  it('one holder at a time, kept past its TTL by renewal; release hands it over', async () => {
    const [a, b] = [node(), node()];
    const key = `ch_${unique()}`;
    const held = await a.tryAcquire(key);
    expect(held).not.toBeNull();
    expect(await a.tryAcquire(key)).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, ttlMs * 2.5));
    expect(held?.lost.aborted).toBe(false);
    expect(await b.tryAcquire(key)).toBeNull();
    await held?.release();
    expect(await b.tryAcquire(key)).not.toBeNull();
  });

  it('a holder that stops renewing gives up before another node can take over (no overlap)', async () => {
    const clientA = connect();
    const [a, b] = [node(clientA), node()];
    const key = `ch_${unique()}`;
    const held = await a.tryAcquire(key);
    let lostAt = 0;
    held?.lost.addEventListener('abort', () => (lostAt = Date.now()));
    clientA.disconnect(); // the node is cut off: renewals fail
    const { at } = await takeWhenFree(b, key, 5_000);
    expect(lostAt).toBeGreaterThan(0);
    expect(lostAt).toBeLessThanOrEqual(at);
  });

  it('release only deletes the key while it is still ours', async () => {
    const [a, b] = [node(), node()];
    const key = `ch_${unique()}`;
    const held = await a.tryAcquire(key);
    const other = connect();
    await other.set(prefix + key, 'someone-else', 'PX', 60_000); // taken over meanwhile
    await vi.waitFor(() => expect(held?.lost.aborted).toBe(true), { timeout: 2_000 });
    await held?.release();
    expect(await other.get(prefix + key)).toBe('someone-else');
    expect(await b.tryAcquire(key)).toBeNull();
  });

  it('when the holding process is killed, another node takes over after the TTL', async () => {
    const b = node();
    const key = `ch_${unique()}`;
    const child = await holdInChild({
      LEASE_KIND: 'redis',
      LEASE_URL: redis,
      LEASE_KEY: key,
      LEASE_TTL_MS: '1000',
      LEASE_PREFIX: prefix,
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // the child renews meanwhile
    expect(await b.tryAcquire(key)).toBeNull();
    child.kill('SIGKILL');
    const killedAt = Date.now();
    const { at } = await takeWhenFree(b, key, 5_000);
    expect(at - killedAt).toBeLessThan(2_000);
  });
});
