import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, seedMembers, type TestDatabase } from '../../support/database.js';

/**
 * The badge counters (migration 0009) are kept by the database from chat_assignments: after
 * any mix of new chats, assignments to users and teams, batch moves, unassignments and deleted
 * chats — one statement or many, committed or rolled back — they equal a count from scratch.
 */
describe('badge counters', () => {
  let t: TestDatabase;
  const users = ['usr_1', 'usr_2', 'usr_3'];
  const teams = ['team_1', 'team_2'];
  const channels = ['ch_1', 'ch_2', 'ch_3'];

  beforeAll(async () => {
    t = await createTestDatabase();
    const db = t.db;
    await seedMembers(db, {
      workspaces: ['ws'],
      members: users.map((userId) => ({ workspaceId: 'ws', userId, role: 'agent' })),
    });
    await db
      .insertInto('teams')
      .values(teams.map((id) => ({ id, workspace_id: 'ws', name: id, status: 'active' as const })))
      .execute();
    await db
      .insertInto('channel_accounts')
      .values(
        channels.map((id) => ({
          id,
          workspace_id: 'ws',
          type: 'webhook' as const,
          name: id,
          owner_type: 'workspace' as const,
          owner_user_id: null,
          owner_team_id: null,
          connected_by: 'usr_1',
          status: 'active' as const,
          settings: '{}',
        })),
      )
      .execute();
    await db
      .insertInto('contacts')
      .values({ id: 'ct', workspace_id: 'ws', name: 'C', phone: '4915112345678', fields: '{}' })
      .execute();
  });
  afterAll(() => t.drop());

  /** The counters and the same figures counted from chat_assignments, side by side. */
  async function counters() {
    const kept = await sql<{ key: string; n: string }>`
      select 'c:' || channel_id || ':' || chats || ':' || unassigned as key, '' as n
        from channel_chat_counts where chats <> 0 or unassigned <> 0
      union all
      select 'a:' || assignee_kind::text || assignee_id || ':' || channel_id || ':' || chats, ''
        from assigned_chat_counts where chats <> 0
      order by 1`.execute(t.db);
    const counted = await sql<{ key: string; n: string }>`
      select 'c:' || channel_id || ':' || count(*) || ':'
               || count(*) filter (where user_id is null and team_id is null) as key, '' as n
        from chat_assignments group by channel_id
      union all
      select 'a:' || case when user_id is not null then 'u' else 't' end || coalesce(user_id, team_id)
               || ':' || channel_id || ':' || count(*), ''
        from chat_assignments where user_id is not null or team_id is not null
        group by coalesce(user_id, team_id), user_id is not null, channel_id
      order by 1`.execute(t.db);
    return { kept: kept.rows.map((r) => r.key), counted: counted.rows.map((r) => r.key) };
  }

  type Op =
    | { kind: 'new'; channel: number; n: number }
    | { kind: 'assign'; to: { user: number } | { team: number } | null; every: number }
    | { kind: 'delete'; every: number }
    | { kind: 'touch' }
    | { kind: 'rollback'; channel: number };

  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      kind: fc.constant('new' as const),
      channel: fc.nat(2),
      n: fc.integer({ min: 1, max: 6 }),
    }),
    fc.record({
      kind: fc.constant('assign' as const),
      to: fc.oneof(
        fc.record({ user: fc.nat(2) }),
        fc.record({ team: fc.nat(1) }),
        fc.constant(null),
      ),
      every: fc.integer({ min: 1, max: 4 }),
    }),
    fc.record({ kind: fc.constant('delete' as const), every: fc.integer({ min: 2, max: 5 }) }),
    fc.constant({ kind: 'touch' as const }),
    fc.record({ kind: fc.constant('rollback' as const), channel: fc.nat(2) }),
  );

  let serial = 0;
  async function apply(o: Op) {
    const db = t.db;
    const newChats = (channel: number, n: number) =>
      Array.from({ length: n }, () => {
        const id = `chat_${++serial}`;
        return {
          id,
          workspace_id: 'ws',
          channel_id: channels[channel] ?? 'ch_1',
          external_id: id,
          contact_id: 'ct',
          last_message_at: new Date(Date.UTC(2026, 10, 1, 0, 0, serial)),
        };
      });
    // Every `every`-th chat by id: a batch move touching many counter rows in one statement.
    const some = (every: number) =>
      sql<boolean>`(('x' || substr(md5(chat_id), 1, 8))::bit(32)::int % ${every}::int) = 0`;
    switch (o.kind) {
      case 'new':
        await db.insertInto('chats').values(newChats(o.channel, o.n)).execute();
        return;
      case 'assign':
        await db
          .updateTable('chat_assignments')
          .set(
            o.to === null
              ? { user_id: null, team_id: null }
              : 'user' in o.to
                ? { user_id: users[o.to.user] ?? null, team_id: null }
                : { user_id: null, team_id: teams[o.to.team] ?? null },
          )
          .where(some(o.every))
          .execute();
        return;
      case 'delete':
        await db
          .deleteFrom('chats')
          .where(
            'id',
            'in',
            db.selectFrom('chat_assignments').select('chat_id').where(some(o.every)),
          )
          .execute();
        return;
      case 'touch':
        // New messages on existing chats: last_message_at moves, the counters must not.
        await db.updateTable('chats').set({ last_message_at: new Date() }).execute();
        return;
      case 'rollback':
        await db
          .transaction()
          .execute(async (trx) => {
            await trx.insertInto('chats').values(newChats(o.channel, 3)).execute();
            await trx
              .updateTable('chat_assignments')
              .set({ user_id: 'usr_1', team_id: null })
              .execute();
            throw new Error('rolled back');
          })
          .catch(() => undefined);
        return;
    }
  }

  it('equal a count from scratch after any sequence of changes', async () => {
    let richest = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
        for (const o of ops) await apply(o);
        const { kept, counted } = await counters();
        expect(kept).toEqual(counted);
        richest = Math.max(richest, counted.filter((key) => key.startsWith('a:')).length);
      }),
      { numRuns: 40 },
    );
    // The runs did build up assignment counts worth comparing.
    expect(richest).toBeGreaterThan(3);
  });

  it('refuses to move a chat to another channel account (its counts are per account)', async () => {
    await t.db
      .insertInto('chats')
      .values({
        id: 'chat_fixed',
        workspace_id: 'ws',
        channel_id: 'ch_1',
        external_id: 'fixed',
        contact_id: 'ct',
        last_message_at: new Date(),
      })
      .execute();
    await expect(
      t.db
        .updateTable('chats')
        .set({ channel_id: 'ch_2' })
        .where('id', '=', 'chat_fixed')
        .execute(),
    ).rejects.toMatchObject({ code: '23514' });
  });
});
