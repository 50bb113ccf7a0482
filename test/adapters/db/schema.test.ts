import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, seedMembers, type TestDatabase } from '../../support/database.js';

/**
 * The schema itself enforces what must never happen whatever the code does: cross-workspace
 * references, a chat assigned twice, a message stored twice, a channel without a clear owner.
 */
describe('schema invariants', () => {
  let t: TestDatabase;
  const now = new Date('2026-11-01T10:00:00Z');

  beforeAll(async () => {
    t = await createTestDatabase();
    const db = t.db;
    await seedMembers(db, {
      workspaces: ['ws_a', 'ws_b'],
      members: [
        { workspaceId: 'ws_a', userId: 'usr_1', role: 'agent' },
        { workspaceId: 'ws_b', userId: 'usr_2', role: 'agent' },
      ],
    });
    await db
      .insertInto('teams')
      .values([
        { id: 'team_a', workspace_id: 'ws_a', name: 'Sales', status: 'active' },
        { id: 'team_b', workspace_id: 'ws_b', name: 'Sales', status: 'active' },
      ])
      .execute();
    await db
      .insertInto('channel_accounts')
      .values([channel('ch_a', 'ws_a', 'usr_1'), channel('ch_b', 'ws_b', 'usr_2')])
      .execute();
    await db
      .insertInto('contacts')
      .values([
        { id: 'ct_a', workspace_id: 'ws_a', name: 'Cust', phone: '+4915112345678', fields: '{}' },
        { id: 'ct_b', workspace_id: 'ws_b', name: 'Cust', phone: '+4915112345678', fields: '{}' },
      ])
      .execute();
    await db
      .insertInto('chats')
      .values(chat('chat_a', 'ws_a', 'ch_a', 'ct_a'))
      .execute();
  });
  afterAll(() => t.drop());

  function channel(id: string, ws: string, owner: string) {
    return {
      id,
      workspace_id: ws,
      type: 'webhook' as const,
      name: id,
      owner_type: 'user' as const,
      owner_user_id: owner,
      owner_team_id: null,
      connected_by: owner,
      status: 'active' as const,
      settings: '{}',
    };
  }
  function chat(id: string, ws: string, ch: string, ct: string) {
    return {
      id,
      workspace_id: ws,
      channel_id: ch,
      external_id: `ext-${id}`,
      contact_id: ct,
      last_message_at: now,
      last_message_preview: 'hi',
    };
  }
  const pgError = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected the database to refuse');
      },
      (error: { code?: string; constraint?: string }) => error,
    );

  it('refuses a chat of workspace A on a channel of workspace B', async () => {
    const error = await pgError(
      t.db
        .insertInto('chats')
        .values(chat('chat_x', 'ws_a', 'ch_b', 'ct_a'))
        .execute(),
    );
    expect(error.code).toBe('23503'); // foreign_key_violation
  });

  it('refuses an assignee who is not a member of the chat’s workspace', async () => {
    const error = await pgError(
      t.db
        .updateTable('chat_assignments')
        .set({ user_id: 'usr_2' })
        .where('chat_id', '=', 'chat_a')
        .execute(),
    );
    expect(error.code).toBe('23503');
  });

  it('refuses a chat assigned to a user and a team at once', async () => {
    const error = await pgError(
      t.db
        .updateTable('chat_assignments')
        .set({ user_id: 'usr_1', team_id: 'team_a' })
        .where('chat_id', '=', 'chat_a')
        .execute(),
    );
    expect(error.code).toBe('23514'); // check_violation
  });

  it('gives every chat one assignment row whose last_message_at follows the chat’s', async () => {
    const at = (iso: string) => new Date(iso);
    const copy = async (id: string) =>
      (
        await t.db
          .selectFrom('chat_assignments')
          .select(['workspace_id', 'user_id', 'team_id', 'last_message_at'])
          .where('chat_id', '=', id)
          .execute()
      ).map((r) => ({ ...r, last_message_at: r.last_message_at.toISOString() }));
    // Several chats in one statement, the way an ingest batch writes them.
    await t.db
      .insertInto('chats')
      .values([
        { ...chat('chat_m1', 'ws_a', 'ch_a', 'ct_a'), last_message_at: at('2026-03-01T10:00:00Z') },
        { ...chat('chat_m2', 'ws_a', 'ch_a', 'ct_a'), last_message_at: at('2026-03-01T11:00:00Z') },
      ])
      .execute();
    expect(await copy('chat_m1')).toEqual([
      {
        workspace_id: 'ws_a',
        user_id: null,
        team_id: null,
        last_message_at: '2026-03-01T10:00:00.000Z',
      },
    ]);
    // An upsert that moves one chat and inserts another (ingest's statement shape).
    await sql`
      insert into chats as c (id, workspace_id, channel_id, external_id, contact_id, last_message_at)
      values ('chat_m1', 'ws_a', 'ch_a', 'ext-chat_m1', 'ct_a', '2026-03-02T09:00:00Z'),
             ('chat_m3', 'ws_a', 'ch_a', 'ext-chat_m3', 'ct_a', '2026-03-02T08:00:00Z')
      on conflict (channel_id, external_id) do update set last_message_at = greatest(c.last_message_at, excluded.last_message_at)
    `.execute(t.db);
    await t.db
      .updateTable('chat_assignments')
      .set({ user_id: 'usr_1' })
      .where('chat_id', '=', 'chat_m2')
      .execute();
    await t.db
      .updateTable('chats')
      .set({ last_message_at: at('2026-03-03T00:00:00Z'), last_message_preview: 'later' })
      .where('id', '=', 'chat_m2')
      .execute();
    const { rows: differ } = await sql<{ id: string }>`
      select c.id from chats c left join chat_assignments a on a.chat_id = c.id
      where a.chat_id is null or a.last_message_at <> c.last_message_at or a.workspace_id <> c.workspace_id`.execute(
      t.db,
    );
    expect(differ).toEqual([]);
    expect((await copy('chat_m1'))[0]?.last_message_at).toBe('2026-03-02T09:00:00.000Z');
    expect(await copy('chat_m2')).toEqual([
      {
        workspace_id: 'ws_a',
        user_id: 'usr_1',
        team_id: null,
        last_message_at: '2026-03-03T00:00:00.000Z',
      },
    ]);
    expect(await copy('chat_m3')).toHaveLength(1);
    await t.db.deleteFrom('chats').where('id', 'in', ['chat_m1', 'chat_m2', 'chat_m3']).execute();
    expect(await copy('chat_m2')).toEqual([]);
  });

  it('gives a participant row its chat’s last_message_at and keeps it following', async () => {
    const copy = async () =>
      (
        await t.db
          .selectFrom('chat_participants')
          .select('last_message_at')
          .where('chat_id', '=', 'chat_p1')
          .execute()
      ).map((r) => r.last_message_at.toISOString());
    await t.db
      .insertInto('chats')
      .values({
        ...chat('chat_p1', 'ws_a', 'ch_a', 'ct_a'),
        last_message_at: new Date('2026-04-01T10:00:00Z'),
      })
      .execute();
    const addParticipant = () =>
      t.db
        .insertInto('chat_participants')
        .values({ workspace_id: 'ws_a', chat_id: 'chat_p1', user_id: 'usr_1' })
        .execute();
    await addParticipant();
    expect(await copy()).toEqual(['2026-04-01T10:00:00.000Z']);
    await sql`
      insert into chats as c (id, workspace_id, channel_id, external_id, contact_id, last_message_at)
      values ('chat_p1', 'ws_a', 'ch_a', 'ext-chat_p1', 'ct_a', '2026-04-01T11:00:00Z')
      on conflict (channel_id, external_id) do update set last_message_at = greatest(c.last_message_at, excluded.last_message_at)
    `.execute(t.db);
    expect(await copy()).toEqual(['2026-04-01T11:00:00.000Z']);

    // Added while another transaction moves the chat on: the insert waits for that change and
    // takes the committed value (without the lock it would keep the old one).
    await t.db.deleteFrom('chat_participants').where('chat_id', '=', 'chat_p1').execute();
    await t.db.connection().execute(async (writer) => {
      await sql`begin`.execute(writer);
      await sql`update chats set last_message_at = '2026-04-01T12:00:00Z' where id = 'chat_p1'`.execute(
        writer,
      );
      const adding = addParticipant();
      try {
        for (let waited = 0; ; waited += 20) {
          const { rows } = await sql<{ n: number }>`
            select count(*)::int as n from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock'
              and query like 'insert into "chat_participants"%'`.execute(t.db);
          if (rows[0]?.n) break;
          if (waited > 5_000) throw new Error('the insert never waited for the chat’s change');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } catch (error) {
        // Leave no open transaction behind for the tests after this one.
        await sql`rollback`.execute(writer);
        await adding.catch(() => undefined);
        throw error;
      }
      await sql`commit`.execute(writer);
      await adding;
    });
    expect(await copy()).toEqual(['2026-04-01T12:00:00.000Z']);

    const refused = await pgError(
      t.db
        .insertInto('chat_participants')
        .values({ workspace_id: 'ws_a', chat_id: 'no_such_chat', user_id: 'usr_1' })
        .execute(),
    );
    expect(refused.code).toBe('23503');
    await t.db.deleteFrom('chats').where('id', '=', 'chat_p1').execute();
  });

  it('refuses an assignment row of a chat that does not exist', async () => {
    const error = await pgError(
      t.db
        .insertInto('chat_assignments')
        .values({
          chat_id: 'chat_none',
          workspace_id: 'ws_a',
          channel_id: 'ch_a',
          last_message_at: now,
        })
        .execute(),
    );
    expect(error.code).toBe('23503');
  });

  it('refuses a team-owned channel without its team, or a user-owned one with a team', async () => {
    const noTeam = await pgError(
      t.db
        .insertInto('channel_accounts')
        .values({ ...channel('ch_y', 'ws_a', 'usr_1'), owner_type: 'team', owner_user_id: null })
        .execute(),
    );
    expect(noTeam.code).toBe('23514');
    const both = await pgError(
      t.db
        .insertInto('channel_accounts')
        .values({ ...channel('ch_z', 'ws_a', 'usr_1'), owner_team_id: 'team_a' })
        .execute(),
    );
    expect(both.code).toBe('23514');
  });

  it('stores a provider message once: (channel, provider message id) is unique', async () => {
    const message = {
      workspace_id: 'ws_a',
      chat_id: 'chat_a',
      channel_id: 'ch_a',
      provider_message_id: 'wamid.1',
      direction: 'in' as const,
      text: 'hello',
      status: 'received' as const,
      sent_at: now,
    };
    await t.db
      .insertInto('messages')
      .values({ id: 'msg_1', ...message })
      .execute();
    const inserted = await t.db
      .insertInto('messages')
      .values({ id: 'msg_2', ...message })
      .onConflict((oc) => oc.columns(['channel_id', 'provider_message_id']).doNothing())
      .executeTakeFirst();
    expect(inserted.numInsertedOrUpdatedRows).toBe(0n);
    const count = await t.db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });

  it('keeps one contact per phone within a workspace, and allows the same phone elsewhere', async () => {
    const error = await pgError(
      t.db
        .insertInto('contacts')
        .values({
          id: 'ct_dup',
          workspace_id: 'ws_a',
          name: 'Dup',
          phone: '+4915112345678',
          fields: '{}',
        })
        .execute(),
    );
    expect(error.code).toBe('23505'); // unique_violation
  });

  it('stores phones only as E.164 with the plus (issue 17): bare digits and spellings are refused', async () => {
    for (const [i, phone] of ['4915112345678', '+49 151 12345678', '+04915112345678'].entries()) {
      const error = await pgError(
        t.db
          .insertInto('contacts')
          .values({ id: `ct_shape${i}`, workspace_id: 'ws_a', name: 'S', phone, fields: '{}' })
          .execute(),
      );
      expect(error.code, phone).toBe('23514'); // check_violation
      expect(error.constraint).toBe('contacts_phone_e164');
    }
  });

  it('refuses a rating outside 1..5 and a malformed email', async () => {
    const rating = await pgError(
      t.db
        .insertInto('ratings')
        .values({ id: 'r1', workspace_id: 'ws_a', chat_id: 'chat_a', user_id: 'usr_1', score: 6 })
        .execute(),
    );
    expect(rating.code).toBe('23514');
    const email = await pgError(
      t.db
        .insertInto('users')
        .values({ id: 'usr_3', email: 'Upper@Case.test', name: 'U' })
        .execute(),
    );
    expect(email.code).toBe('23514');
  });

  it('has one index per access branch of the list query, each ending in (last_message_at, id)', async () => {
    const { rows } = await sql<{ indexname: string; indexdef: string }>`
      select indexname, indexdef from pg_indexes where tablename in ('chats', 'chat_assignments', 'chat_participants')`.execute(
      t.db,
    );
    const byName = new Map(rows.map((r) => [r.indexname, r.indexdef]));
    for (const [name, leading, id] of [
      ['chat_assignments_recent', 'workspace_id', 'chat_id'],
      ['chats_channel_recent', 'channel_id', 'id'],
      ['chat_assignments_user_recent', 'user_id', 'chat_id'],
      ['chat_assignments_team_recent', 'team_id', 'chat_id'],
      ['chat_assignments_unassigned_recent', 'workspace_id', 'chat_id'],
      ['chat_participants_user_recent', 'user_id', 'chat_id'],
    ] as const) {
      expect(byName.get(name), name).toContain(`(${leading}, last_message_at DESC, ${id} DESC)`);
    }
    // The walk over the workspace's newest chats decides each one from the index alone, and
    // the per-key top-N test their tenancy from theirs.
    expect(byName.get('chat_assignments_recent')).toContain(
      'INCLUDE (channel_id, user_id, team_id)',
    );
    for (const name of [
      'chat_assignments_user_recent',
      'chat_assignments_team_recent',
      'chat_participants_user_recent',
    ])
      expect(byName.get(name), name).toContain('INCLUDE (workspace_id)');
    expect(byName.has('chats_workspace_recent')).toBe(false);
  });

  it('answers a per-branch top-50 from its index without sorting the table', async () => {
    await sql`
      insert into chats (id, workspace_id, channel_id, external_id, contact_id,
                         last_message_at, last_message_preview)
      select 'chat_g' || g, 'ws_a', 'ch_a', 'ext-g' || g, 'ct_a',
             timestamptz '2026-01-01' + g * interval '1 minute', ''
      from generate_series(1, 20000) g`.execute(t.db);
    await sql`update chat_assignments set user_id = 'usr_1' where chat_id like 'chat_g%' and substr(chat_id, 7)::int % 3 = 0`.execute(
      t.db,
    );
    await sql`analyze chats, chat_assignments`.execute(t.db);
    const { rows } = await sql<{ 'QUERY PLAN': string }>`
      explain select chat_id from chat_assignments where user_id = 'usr_1'
      order by last_message_at desc, chat_id desc limit 50`.execute(t.db);
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toContain('chat_assignments_user_recent');
    expect(plan).not.toMatch(/\bSort\b/);
  });
});
