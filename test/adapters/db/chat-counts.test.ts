import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepScopeCount } from '../../../src/adapters/db/access/count-chats.js';
import { createTestDatabase, seedMembers, type TestDatabase } from '../../support/database.js';

/**
 * The badge counters (migrations 0009 and 0010) are kept by the database from chat_assignments:
 * after any mix of new chats, assignments to users and teams, batch moves, unassignments and
 * deleted chats — one statement or many, committed or rolled back — they equal a count from
 * scratch, per account, per (assignee, account) and per registered scope.
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
          // One account per kind of owner: a user, a team, HQ.
          ...(id === 'ch_1'
            ? { owner_type: 'user' as const, owner_user_id: 'usr_1', owner_team_id: null }
            : id === 'ch_2'
              ? { owner_type: 'team' as const, owner_user_id: null, owner_team_id: 'team_2' }
              : { owner_type: 'workspace' as const, owner_user_id: null, owner_team_id: null }),
          connected_by: 'usr_1',
          status: 'active' as const,
          settings: '{}',
        })),
      )
      .execute();
    await db
      .insertInto('contacts')
      .values({ id: 'ct', workspace_id: 'ws', name: 'C', phone: '+4915112345678', fields: '{}' })
      .execute();
    // Two broad-scope counters, registered while there are no chats (so 0 is their value).
    for (const scope of scopes) await keepScopeCount(db, scope);
  });
  const scopes = [
    { id: 'scope_1', workspaceId: 'ws', assignees: ['t:team_1', 'u:usr_1'], owners: ['u:usr_1'] },
    {
      id: 'scope_2',
      workspaceId: 'ws',
      assignees: ['u:usr_2', 'u:usr_3'],
      owners: ['t:team_2', 'u:usr_3'],
    },
  ];
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
    // Per scope: chats assigned into its assignees on accounts whose owner it does not name.
    const scoped = await sql<{ key: string; kept: string; counted: string }>`
      select s.id as key, s.assigned_elsewhere as kept, (
        select count(*) from chat_assignments a join channel_accounts ca on ca.id = a.channel_id
        where (case when a.user_id is not null then 'u:' || a.user_id else 't:' || a.team_id end)
                in (select subject from scope_count_subjects where scope_id = s.id and role = 'a')
          and coalesce((case ca.owner_type when 'user' then 'u:' || ca.owner_user_id
                                          when 'team' then 't:' || ca.owner_team_id end)
                not in (select subject from scope_count_subjects where scope_id = s.id and role = 'o'),
              true)
      ) as counted
      from scope_counts s order by s.id`.execute(t.db);
    return {
      kept: [...kept.rows.map((r) => r.key), ...scoped.rows.map((r) => `s:${r.key}:${r.kept}`)],
      counted: [
        ...counted.rows.map((r) => r.key),
        ...scoped.rows.map((r) => `s:${r.key}:${r.counted}`),
      ],
    };
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
    expect(richest).toBeGreaterThanOrEqual(2);
  });

  it('a scope registered while chats are being reassigned starts exact and stays exact', async () => {
    await apply({ kind: 'new', channel: 0, n: 6 });
    await apply({ kind: 'new', channel: 2, n: 6 });
    const scope = {
      id: 'scope_busy',
      workspaceId: 'ws',
      assignees: ['t:team_2', 'u:usr_2'],
      owners: ['u:usr_1'],
    };
    // Writers move chats back and forth while the counter is registered and filled.
    let writing = true;
    const writer = async (to: Op & { kind: 'assign' }) => {
      let moves = 0;
      while (writing || moves < 3) {
        await apply(to);
        moves++;
      }
      return moves;
    };
    const writers = [
      writer({ kind: 'assign', to: { user: 1 }, every: 2 }),
      writer({ kind: 'assign', to: { team: 1 }, every: 3 }),
      writer({ kind: 'assign', to: null, every: 5 }),
    ];
    await new Promise((resolve) => setTimeout(resolve, 20));
    await keepScopeCount(t.db, scope);
    writing = false;
    const moves = await Promise.all(writers);
    expect(moves.every((n) => n >= 3)).toBe(true);
    const { kept, counted } = await counters();
    expect(kept.filter((k) => k.startsWith('s:scope_busy'))).toHaveLength(1);
    expect(kept).toEqual(counted);
  });

  it('a scope registered while a transaction moving chats into it is open counts that move', async () => {
    await apply({ kind: 'new', channel: 2, n: 4 });
    const scope = { id: 'scope_open', workspaceId: 'ws', assignees: ['u:usr_3'], owners: [] };
    let moved!: () => void;
    let commit!: () => void;
    const hasMoved = new Promise<void>((resolve) => (moved = resolve));
    const mayCommit = new Promise<void>((resolve) => (commit = resolve));
    // The move runs before the scope exists (no delta for it) and commits after it is made.
    const writer = t.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('chat_assignments')
        .set({ user_id: 'usr_3', team_id: null })
        .where('channel_id', '=', 'ch_3')
        .execute();
      moved();
      await mayCommit;
    });
    await hasMoved;
    const registering = keepScopeCount(t.db, scope);
    await new Promise((resolve) => setTimeout(resolve, 100));
    commit();
    await writer;
    await registering;
    const { kept, counted } = await counters();
    expect(counted.find((k) => k.startsWith('s:scope_open:'))).not.toBe('s:scope_open:0');
    expect(kept).toEqual(counted);
  });

  it("a channel account changing owner drops its workspace's scope counters (they count anew)", async () => {
    expect(
      (
        await t.db
          .selectFrom('scope_counts')
          .select('id')
          .where('workspace_id', '=', 'ws')
          .execute()
      ).length,
    ).toBeGreaterThan(0);
    await t.db
      .updateTable('channel_accounts')
      .set({ owner_type: 'team', owner_user_id: null, owner_team_id: 'team_1' })
      .where('id', '=', 'ch_1')
      .execute();
    expect(
      await t.db.selectFrom('scope_counts').select('id').where('workspace_id', '=', 'ws').execute(),
    ).toEqual([]);
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
