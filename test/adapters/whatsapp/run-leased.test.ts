import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPostgresLeases } from '../../../src/adapters/whatsapp/lease.js';
import { runWhileLeased } from '../../../src/adapters/whatsapp/run-leased.js';
import { defaultWhatsappSettings } from '../../../src/adapters/whatsapp/settings.js';
import { WhatsappChannel } from '../../../src/adapters/whatsapp/whatsapp-channel.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { FakeClient } from './fixtures/fake-client.js';

/**
 * Rule (PRODUCT.md §6): an account runs on exactly one node, and fails over when that node
 * dies. Two nodes run the same account through runWhileLeased with PostgreSQL leases.
 */
describe('runWhileLeased: one WhatsApp account, two nodes', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t?.drop());

  it('only the lease holder runs the client; when its connection dies the other node takes over', async () => {
    const id = randomBytes(4).toString('hex');
    const key = `whatsapp:ch_${id}`;
    const nodes = ['a', 'b'].map((name) => {
      const leases = createPostgresLeases({
        connectionString: t.url,
        applicationName: `run-${name}-${id}`,
        heartbeatMs: 200,
      });
      const clients: FakeClient[] = [];
      const stop = new AbortController();
      const holding: boolean[] = [];
      const done = runWhileLeased({
        leases,
        key,
        signal: stop.signal,
        retryMs: 50,
        onHolding: (h) => holding.push(h),
        start: async () => {
          const channel = new WhatsappChannel({
            account: { workspaceId: 'ws', channelId: `ch_${id}` },
            createClient: () => {
              const client = new FakeClient();
              clients.push(client);
              return client;
            },
            settings: () => defaultWhatsappSettings,
            callbacks: { onInbound: () => undefined },
          });
          await channel.start();
          return channel;
        },
      });
      return { name, leases, clients, holding, stop, done };
    });
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];

    await vi.waitFor(() => expect(a.clients.length + b.clients.length).toBe(1));
    await new Promise((resolve) => setTimeout(resolve, 300)); // the other keeps trying, in vain
    expect(a.clients.length + b.clients.length).toBe(1);
    const [holder, standby] = a.clients.length ? [a, b] : [b, a];

    await sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = ${`run-${holder.name}-${id}`}`.execute(
      t.db,
    );
    await vi.waitFor(() => expect(standby.clients).toHaveLength(1), { timeout: 5_000 });
    expect(holder.clients[0]?.calls).toEqual(['initialize', 'destroy']);
    expect(holder.holding).toEqual([true, false]);

    for (const node of nodes) node.stop.abort();
    await Promise.all(nodes.map((node) => node.done));
    expect(standby.clients[0]?.calls).toEqual(['initialize', 'destroy']);
    await Promise.all(nodes.map((node) => node.leases.close()));
  });
});
