import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventBus } from '../../src/adapters/db/event-bus.js';
import { recordJob } from '../../src/adapters/db/jobs.js';
import { createQueueBackend, type QueueBackendOptions } from '../../src/adapters/queue/backend.js';
import type { ReceivedEvent } from '../../src/core/events/events.js';
import { startBackgroundWork } from '../../src/jobs/background.js';
import { createTestDatabase, redisUrl, type TestDatabase } from '../support/database.js';

/**
 * Background work on both queue backends: a revoke of thousands of chats (also with its worker
 * process killed half-way), concurrent assignment during a revoke, bulk reassignment and a
 * team's hand-back to HQ.
 */
const root = path.resolve(import.meta.dirname, '../..');
const unique = () => randomBytes(4).toString('hex');

async function seed(t: TestDatabase, ws: string, chats: number) {
  // leaver owns one account; heir is an Agent who owns another; chats of the leaver are
  // spread over both accounts, so the heir could see only some of them before the revoke.
  for (const statement of [
    sql`insert into organizations (id, name) values (${`org_${ws}`}, 'Org')`,
    sql`insert into workspaces (id, organization_id, name, integration_secret) values (${ws}, ${`org_${ws}`}, 'W', 's')`,
    sql`insert into users (id, email, name) values
      (${`${ws}_leaver`}, ${`${ws}_leaver@t.test`}, 'Leaver'), (${`${ws}_heir`}, ${`${ws}_heir@t.test`}, 'Heir'),
      (${`${ws}_admin`}, ${`${ws}_admin@t.test`}, 'Admin')
    on conflict do nothing`,
    sql`insert into memberships (workspace_id, user_id, role, status) values
      (${ws}, ${`${ws}_leaver`}, 'agent', 'revoked'), (${ws}, ${`${ws}_heir`}, 'agent', 'active'), (${ws}, ${`${ws}_admin`}, 'admin', 'active')`,
    sql`insert into teams (id, workspace_id, name) values (${`${ws}_team`}, ${ws}, 'Team')`,
    sql`insert into team_members (workspace_id, team_id, user_id) values (${ws}, ${`${ws}_team`}, ${`${ws}_leaver`})`,
    sql`insert into channel_accounts (id, workspace_id, type, name, owner_type, owner_user_id, status) values
      (${`${ws}_ch_leaver`}, ${ws}, 'webhook', 'l', 'user', ${`${ws}_leaver`}, 'active'),
      (${`${ws}_ch_heir`}, ${ws}, 'webhook', 'h', 'user', ${`${ws}_heir`}, 'active')`,
    sql`insert into contacts (id, workspace_id, name) values (${`${ws}_ct`}, ${ws}, 'C')`,
  ])
    await statement.execute(t.db);
  await sql`
    insert into chats (id, workspace_id, channel_id, external_id, contact_id, last_message_at)
    select ${ws} || '_chat' || lpad(g::text, 6, '0'), ${ws},
           case when g % 3 = 0 then ${`${ws}_ch_heir`} else ${`${ws}_ch_leaver`} end,
           'e' || g, ${`${ws}_ct`}, now() - g * interval '1 second'
    from generate_series(1, ${chats}) g`.execute(t.db);
  await sql`update chat_assignments set user_id = ${`${ws}_leaver`} where workspace_id = ${ws}`.execute(
    t.db,
  );
}

const isAssigneeChange = (
  event: ReceivedEvent,
): event is Extract<ReceivedEvent, { type: 'chat.assignee_changed' }> =>
  event.type === 'chat.assignee_changed';

async function recordRevoke(t: TestDatabase, ws: string, toHeir: boolean) {
  return t.db.transaction().execute((trx) =>
    recordJob(trx, {
      workspaceId: ws,
      type: 'member.revoke',
      input: { userId: `${ws}_leaver`, reassignTo: toHeir ? `${ws}_heir` : null },
      createdBy: `${ws}_admin`,
    }),
  );
}

async function waitForJob(t: TestDatabase, jobId: string, timeoutMs = 60_000) {
  const started = Date.now();
  for (;;) {
    const job = await t.db
      .selectFrom('jobs')
      .selectAll()
      .where('id', '=', jobId)
      .executeTakeFirstOrThrow();
    if (job.state === 'completed' || job.state === 'failed') return job;
    if (Date.now() - started > timeoutMs)
      throw new Error(
        `job ${jobId} still ${job.state} (${job.progress_done}/${job.progress_total})`,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function assignments(t: TestDatabase, ws: string) {
  const rows = await t.db
    .selectFrom('chats')
    .innerJoin('chat_assignments', 'chat_assignments.chat_id', 'chats.id')
    .select(['id', 'chats.channel_id', 'user_id as assignee_user_id'])
    .where('chats.workspace_id', '=', ws)
    .execute();
  const count = (pred: (r: (typeof rows)[number]) => boolean) => rows.filter(pred).length;
  return {
    toLeaver: count((r) => r.assignee_user_id === `${ws}_leaver`),
    toHeir: count((r) => r.assignee_user_id === `${ws}_heir`),
    heirOnHeirAccount: count(
      (r) => r.assignee_user_id === `${ws}_heir` && r.channel_id === `${ws}_ch_heir`,
    ),
    unassigned: count((r) => r.assignee_user_id === null),
    rows,
  };
}

function backend(kind: 'postgres' | 'redis', t: TestDatabase): QueueBackendOptions {
  return kind === 'postgres'
    ? { kind, url: t.url, schema: `bullmq_${unique()}` }
    : { kind, url: redisUrl() ?? '', prefix: `sbtest-${unique()}` };
}

const redis = redisUrl();
// Both backends always appear in the report; Redis ones are skipped, by name, without REDIS_URL.
const kinds = ['postgres', redis ? 'redis' : 'redis (skipped: REDIS_URL is not set)'] as const;

describe.each(kinds)('background work on BullMQ/%s', (label) => {
  const kind = label.startsWith('redis') ? ('redis' as const) : ('postgres' as const);
  if (kind === 'redis' && !redis) {
    it.skip('needs REDIS_URL', () => undefined);
    return;
  }
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.drop());

  it('revokes a member with 3,000 assigned chats: every one to an heir who can be assigned chats (PRODUCT.md §3.2), even those the heir could not see', async () => {
    const ws = `ws${unique()}`;
    await seed(t, ws, 3000);
    const queues = createQueueBackend(backend(kind, t));
    const bus = await createEventBus(t.db, t.url);
    const events: ReceivedEvent[] = [];
    bus.subscribe((event) => {
      if (event.workspaceId === ws) events.push(event);
    });
    const stop = startBackgroundWork(t.db, queues, { relayEveryMs: 50, batchSize: 500 });
    try {
      const jobId = await recordRevoke(t, ws, true);
      const job = await waitForJob(t, jobId);
      expect(job.state).toBe('completed');
      expect(job.progress_done).toBe(3000);
      expect(job.progress_total).toBe(3000);
      const a = await assignments(t, ws);
      expect(a.toLeaver).toBe(0);
      // The heir (an Agent) saw only the 1,000 chats on their own account; being assigned is
      // what lets them see the other 2,000, so all 3,000 go to them.
      expect(a.toHeir).toBe(3000);
      expect(a.heirOnHeirAccount).toBe(1000);
      expect(a.unassigned).toBe(0);
      const channel = await t.db
        .selectFrom('channel_accounts')
        .selectAll()
        .where('id', '=', `${ws}_ch_leaver`)
        .executeTakeFirstOrThrow();
      expect(channel).toMatchObject({ owner_type: 'user', owner_user_id: `${ws}_heir` });
      const ties = await t.db
        .selectFrom('team_members')
        .select('user_id')
        .where('user_id', '=', `${ws}_leaver`)
        .execute();
      expect(ties).toEqual([]);
      expect(job.result).toMatchObject({
        moved: 3000,
        toHeir: 3000,
        unassigned: 0,
        channels: 1,
      });
      // One chat.assignee_changed per chat moved, each with its own id (webhooks key on it).
      await expect.poll(() => events.filter(isAssigneeChange).length).toBe(3000);
      const changes = events.filter(isAssigneeChange);
      expect(new Set(changes.map((e) => e.chatId))).toEqual(new Set(a.rows.map((r) => r.id)));
      expect(new Set(changes.map((e) => e.id)).size).toBe(3000);
      expect(events.some((e) => e.type === 'access.changed')).toBe(true);
    } finally {
      await stop();
      await queues.close();
      await bus.close();
    }
  });

  it('an heir suspended after the revoke was recorded gets nothing: chats unassigned, accounts to HQ', async () => {
    const ws = `ws${unique()}`;
    await seed(t, ws, 300);
    await sql`update memberships set status = 'suspended' where workspace_id = ${ws} and user_id = ${`${ws}_heir`}`.execute(
      t.db,
    );
    const queues = createQueueBackend(backend(kind, t));
    const stop = startBackgroundWork(t.db, queues, { relayEveryMs: 50, batchSize: 100 });
    try {
      const job = await waitForJob(t, await recordRevoke(t, ws, true));
      expect(job.state).toBe('completed');
      const a = await assignments(t, ws);
      expect(a.toLeaver).toBe(0);
      expect(a.toHeir).toBe(0);
      expect(a.unassigned).toBe(300);
      const channel = await t.db
        .selectFrom('channel_accounts')
        .select(['owner_type', 'owner_user_id'])
        .where('id', '=', `${ws}_ch_leaver`)
        .executeTakeFirstOrThrow();
      expect(channel).toEqual({ owner_type: 'workspace', owner_user_id: null });
    } finally {
      await stop();
      await queues.close();
    }
  });

  it('finishes exactly when the worker process is killed half-way', async () => {
    const ws = `ws${unique()}`;
    await seed(t, ws, 3000);
    const queue = backend(kind, t);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/support/background-worker.ts'],
      {
        cwd: root,
        env: {
          ...process.env,
          WORKER_DATABASE_URL: t.url,
          WORKER_QUEUE: JSON.stringify(queue),
          WORKER_BATCH: '50',
          WORKER_PAUSE_MS: '20',
        },
        stdio: 'ignore',
      },
    );
    const jobId = await recordRevoke(t, ws, false);
    // Kill it with SIGKILL once it is well under way: no cleanup, a lock left behind.
    for (let i = 0; i < 1200; i++) {
      const job = await t.db
        .selectFrom('jobs')
        .select(['progress_done'])
        .where('id', '=', jobId)
        .executeTakeFirstOrThrow();
      if (job.progress_done >= 500) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const halfway = await t.db
      .selectFrom('jobs')
      .selectAll()
      .where('id', '=', jobId)
      .executeTakeFirstOrThrow();
    expect(halfway.state).toBe('active');
    expect(halfway.progress_done).toBeGreaterThan(0);
    expect(halfway.progress_done).toBeLessThan(3000);

    // A new worker takes the stalled job over and resumes from the checkpoint.
    const queues = createQueueBackend(queue);
    const stop = startBackgroundWork(t.db, queues, {
      relayEveryMs: 50,
      batchSize: 500,
      lockDuration: 2_000,
      stalledInterval: 1_000,
    });
    try {
      const job = await waitForJob(t, jobId, 90_000);
      expect(job.state).toBe('completed');
      expect(job.progress_done).toBe(3000);
      const a = await assignments(t, ws);
      expect(a.toLeaver).toBe(0);
      expect(a.unassigned).toBe(3000);
    } finally {
      await stop();
      await queues.close();
    }
  }, 120_000);

  it('does not overwrite an assignment made while the revoke runs', async () => {
    const ws = `ws${unique()}`;
    await seed(t, ws, 2000);
    const queues = createQueueBackend(backend(kind, t));
    const stop = startBackgroundWork(t.db, queues, {
      relayEveryMs: 50,
      batchSize: 100,
      pauseMs: 20,
    });
    try {
      const jobId = await recordRevoke(t, ws, false);
      for (let i = 0; i < 400; i++) {
        const job = await t.db
          .selectFrom('jobs')
          .select('progress_done')
          .where('id', '=', jobId)
          .executeTakeFirstOrThrow();
        if (job.progress_done > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // An admin takes the last 100 chats (not yet reached: batches go in id order) for the heir.
      const taken = await t.db
        .updateTable('chat_assignments')
        .set({ user_id: `${ws}_heir` })
        .where('workspace_id', '=', ws)
        .where('chat_id', '>', `${ws}_chat001900`)
        .where('user_id', '=', `${ws}_leaver`)
        .returning('chat_id')
        .execute();
      expect(taken.length).toBe(100);
      const job = await waitForJob(t, jobId);
      expect(job.state).toBe('completed');
      const a = await assignments(t, ws);
      expect(a.toLeaver).toBe(0);
      expect(a.toHeir).toBe(100);
      expect(a.unassigned).toBe(1900);
      expect(job.progress_done).toBe(1900);
    } finally {
      await stop();
      await queues.close();
    }
  });

  it('hands a suspended team’s accounts, contacts and queue back to HQ; sub-teams move up', async () => {
    const ws = `ws${unique()}`;
    await seed(t, ws, 10);
    for (const statement of [
      sql`insert into teams (id, workspace_id, name, parent_id) values (${`${ws}_sub`}, ${ws}, 'Sub', ${`${ws}_team`})`,
      sql`update channel_accounts set owner_type = 'team', owner_user_id = null, owner_team_id = ${`${ws}_team`} where id = ${`${ws}_ch_heir`}`,
      sql`update contacts set owner_team_id = ${`${ws}_team`} where workspace_id = ${ws}`,
      sql`update chat_assignments set user_id = null, team_id = ${`${ws}_team`} where workspace_id = ${ws} and chat_id <= ${`${ws}_chat000004`}`,
      sql`update teams set status = 'suspended' where id = ${`${ws}_team`}`,
    ])
      await statement.execute(t.db);
    const jobId = await t.db.transaction().execute((trx) =>
      recordJob(trx, {
        workspaceId: ws,
        type: 'team.suspend',
        input: { teamId: `${ws}_team` },
        createdBy: `${ws}_admin`,
      }),
    );
    const queues = createQueueBackend(backend(kind, t));
    const stop = startBackgroundWork(t.db, queues, { relayEveryMs: 50 });
    try {
      const job = await waitForJob(t, jobId);
      expect(job.state).toBe('completed');
      expect(job.result).toEqual({ channels: 1, contacts: 1, chats: 4, subTeams: 1 });
      const channel = await t.db
        .selectFrom('channel_accounts')
        .select(['owner_type', 'owner_team_id'])
        .where('id', '=', `${ws}_ch_heir`)
        .executeTakeFirstOrThrow();
      expect(channel).toEqual({ owner_type: 'workspace', owner_team_id: null });
      const queued = await t.db
        .selectFrom('chat_assignments')
        .select('chat_id')
        .where('team_id', '=', `${ws}_team`)
        .execute();
      expect(queued).toEqual([]);
      const sub = await t.db
        .selectFrom('teams')
        .select('parent_id')
        .where('id', '=', `${ws}_sub`)
        .executeTakeFirstOrThrow();
      expect(sub.parent_id).toBeNull();
    } finally {
      await stop();
      await queues.close();
    }
  });
});
