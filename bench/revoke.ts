import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { loadWorkspaceAccess } from '../src/adapters/db/access/load-access.js';
import { visibleChatsQuery } from '../src/adapters/db/access/list-visible-chats.js';
import type { Database } from '../src/adapters/db/database.js';
import { recordJob } from '../src/adapters/db/jobs.js';
import { reassignInput, reassignStore } from '../src/adapters/db/job-stores.js';
import { buildPrincipal } from '../src/core/access/index.js';
import { revokeMember } from '../src/core/people/revoke-member.js';
import { percentile } from './stats.js';

/**
 * Revoke workload (issue 5): a member with 100k assigned chats is revoked; measures chats/s
 * and the p99 of an Agent's first list page while it runs, against the same query idle.
 */
export interface RevokeResult {
  chats: number;
  seconds: number;
  chatsPerSecond: number;
  listIdleP99Ms: number;
  listDuringP99Ms: number;
  listSamplesDuring: number;
}

const pct = percentile;

export async function revokeWorkload(
  db: Database,
  chats: number,
  options: { batchSize: number; heir: boolean; lanes: number },
): Promise<RevokeResult> {
  const ws = `bench_${randomBytes(4).toString('hex')}`;
  for (const statement of [
    sql`insert into organizations (id, name) values (${ws}, 'Bench')`,
    sql`insert into workspaces (id, organization_id, name, integration_secret) values (${ws}, ${ws}, 'Bench', 's')`,
    sql`insert into users (id, email, name) select ${ws} || '_u' || g, ${ws} || '_u' || g || '@bench.test', 'User ' || g from generate_series(0, 100) g`,
    sql`insert into memberships (workspace_id, user_id, role) select ${ws}, ${ws} || '_u' || g, case when g = 1 then 'admin' else 'agent' end from generate_series(0, 100) g`,
    sql`insert into channel_accounts (id, workspace_id, type, name, owner_type, owner_user_id, status)
        select ${ws} || '_ch' || g, ${ws}, 'webhook', 'c', 'user', ${ws} || '_u' || g, 'active' from generate_series(0, 100) g`,
    sql`insert into contacts (id, workspace_id, name) values (${ws} || '_ct', ${ws}, 'C')`,
    // The leaver (u0) has `chats` assigned chats over all accounts; every agent owns 1,000 more.
    sql`insert into chats (id, workspace_id, channel_id, external_id, contact_id, last_message_at)
        select ${ws} || '_a' || lpad(g::text, 7, '0'), ${ws}, ${ws} || '_ch' || (g % 101), 'a' || g, ${ws} || '_ct', now() - g * interval '1 second'
        from generate_series(1, ${chats}) g`,
    sql`update chat_assignments set user_id = ${ws} || '_u0' where workspace_id = ${ws}`,
    sql`insert into chats (id, workspace_id, channel_id, external_id, contact_id, last_message_at)
        select ${ws} || '_b' || lpad(g::text, 7, '0'), ${ws}, ${ws} || '_ch' || (2 + g % 99), 'b' || g, ${ws} || '_ct', now() - g * interval '1 second'
        from generate_series(1, 99000) g`,
    sql`vacuum analyze chats, chat_assignments`,
    sql`update memberships set status = 'revoked' where workspace_id = ${ws} and user_id = ${ws} || '_u0'`,
  ]) {
    await statement.execute(db);
  }
  const agent = buildPrincipal(await loadWorkspaceAccess(db, ws), `${ws}_u7`);
  if (!agent) throw new Error('no agent');
  const query = visibleChatsQuery(agent, { limit: 50 });
  if (!query) throw new Error('nothing visible');
  const listOnce = async () => {
    const started = performance.now();
    await query.execute(db);
    return performance.now() - started;
  };
  for (let i = 0; i < 50; i++) await listOnce();
  const idle: number[] = [];
  for (let i = 0; i < 500; i++) idle.push(await listOnce());

  const jobId = await db.transaction().execute((trx) =>
    recordJob(trx, {
      workspaceId: ws,
      type: 'member.revoke',
      input: { userId: `${ws}_u0`, reassignTo: options.heir ? `${ws}_u1` : null },
      createdBy: null,
    }),
  );
  const input = await reassignInput(db, jobId);
  if (!input) throw new Error('no job');
  let running = true;
  const during: number[] = [];
  const sampler = (async () => {
    while (running) during.push(await listOnce());
  })();
  const started = performance.now();
  const result = await revokeMember(reassignStore(db), input, {
    batchSize: options.batchSize,
    lanes: options.lanes,
  });
  const seconds = (performance.now() - started) / 1000;
  running = false;
  await sampler;
  if (result.moved !== chats) throw new Error(`moved ${result.moved} of ${chats}`);
  const left = await db
    .selectFrom('chat_assignments')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', `${ws}_u0`)
    .executeTakeFirstOrThrow();
  if (Number(left.n) !== 0) throw new Error(`${left.n} chats still assigned to the revoked member`);
  return {
    chats,
    seconds,
    chatsPerSecond: chats / seconds,
    listIdleP99Ms: pct(idle, 99),
    listDuringP99Ms: pct(during, 99),
    listSamplesDuring: during.length,
  };
}
