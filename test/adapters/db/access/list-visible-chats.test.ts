import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessFactsSource,
  loadChatFacts,
  loadWorkspaceAccess,
} from '../../../../src/adapters/db/access/load-access.js';
import {
  decodeCursor,
  encodeCursor,
  listVisibleChats,
  visibleChatsQuery,
} from '../../../../src/adapters/db/access/list-visible-chats.js';
import {
  allows,
  buildPrincipal,
  explainAccess,
  listAudience,
} from '../../../../src/core/access/index.js';
import { AppError } from '../../../../src/core/errors.js';
import { createTestDatabase, type TestDatabase } from '../../../support/database.js';

/**
 * The list query on a workspace big enough for PostgreSQL to choose real plans: 200 channel
 * accounts, 20,000 chats, an Agent who owns one account, a Teammate in a team of 50.
 */
describe('the chat list query', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
    await sql`
      insert into organizations (id, name) values ('org', 'Org');
      insert into workspaces (id, organization_id, name, integration_secret) values ('ws', 'org', 'W', 's'), ('ws2', 'org', 'W2', 's');
      insert into users (id, email, name) select 'u' || g, 'u' || g || '@t.test', 'User ' || g from generate_series(1, 200) g;
      insert into memberships (workspace_id, user_id, role)
        select 'ws', 'u' || g, case when g = 1 then 'agent' when g = 2 then 'teammate' else 'agent' end from generate_series(1, 200) g;
      insert into memberships (workspace_id, user_id, role) values ('ws2', 'u1', 'owner');
      insert into teams (id, workspace_id, name) values ('sales', 'ws', 'Sales');
      insert into team_members (workspace_id, team_id, user_id) select 'ws', 'sales', 'u' || g from generate_series(2, 51) g;
      insert into channel_accounts (id, workspace_id, type, name, owner_type, owner_user_id, status)
        select 'ch' || g, 'ws', 'webhook', 'ch' || g, 'user', 'u' || g, 'active' from generate_series(1, 200) g;
      insert into channel_accounts (id, workspace_id, type, name, owner_type, status) values ('ch_ws2', 'ws2', 'webhook', 'x', 'workspace', 'active');
      insert into contacts (id, workspace_id, name) select 'ct' || g, 'ws', 'Contact ' || g from generate_series(1, 20000) g;
      insert into contacts (id, workspace_id, name) values ('ct_ws2', 'ws2', 'Other');
      insert into chats (id, workspace_id, channel_id, external_id, contact_id, last_message_at)
        select 'chat' || lpad(g::text, 6, '0'), 'ws', 'ch' || (1 + g % 200), 'e' || g, 'ct' || g,
               timestamptz '2026-01-01' + (g * 37 % 20000) * interval '1 minute'
        from generate_series(1, 20000) g;
      update chat_assignments a set user_id = 'u' || (1 + g % 200)
        from generate_series(3, 20000, 3) g where a.chat_id = 'chat' || lpad(g::text, 6, '0');
      insert into chats (id, workspace_id, channel_id, external_id, contact_id, last_message_at)
        values ('chat_ws2', 'ws2', 'ch_ws2', 'x', 'ct_ws2', '2027-01-01');
      analyze;
    `.execute(t.db);
  });
  afterAll(() => t.drop());

  const principalOf = async (userId: string) => {
    const p = buildPrincipal(await loadWorkspaceAccess(t.db, 'ws'), userId);
    if (!p) throw new Error('no member');
    return p;
  };

  it('gives an Agent the chats of their own account and those assigned to them, newest first', async () => {
    const agent = await principalOf('u1');
    const page = await listVisibleChats(t.db, agent, { limit: 50 });
    expect(page.items.length).toBe(50);
    for (const item of page.items) {
      expect(
        item.channelId === 'ch1' ||
          (item.assignee?.type === 'user' && item.assignee.userId === 'u1'),
      ).toBe(true);
    }
    const times = page.items.map((i) => i.lastMessageAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(page.items.some((i) => i.id === 'chat_ws2')).toBe(false);
  });

  it('answers every branch from its index: no sequential scan of chats, for an Agent or a Teammate', async () => {
    for (const userId of ['u1', 'u2']) {
      const query = visibleChatsQuery(await principalOf(userId), { limit: 50 });
      if (!query) throw new Error('nothing in scope');
      const compiled = query.compile(t.db);
      const { rows } = await t.db.executeQuery<{ 'QUERY PLAN': string }>(
        CompiledQuery.raw(`explain ${compiled.sql}`, [...compiled.parameters]),
      );
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).not.toMatch(/Seq Scan on (chats|chat_assignments) /);
      expect(plan).toMatch(/chats_channel_recent/);
      expect(plan).toMatch(/Index (Only )?Scan (using|on) chat_assignments_user_recent/);
    }
  });

  it('pages through everything a Teammate sees without loss or repetition', async () => {
    const teammate = await principalOf('u2');
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await listVisibleChats(t.db, teammate, { limit: 200, cursor });
      for (const item of page.items) {
        expect(seen.has(item.id)).toBe(false);
        seen.add(item.id);
      }
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 1000);
    // Teammate in Sales (u2..u51): chats on their 50 accounts, or assigned to one of them.
    const { rows } = await sql<{ n: string }>`
      select count(*) as n from chats c join channel_accounts ca on ca.id = c.channel_id
      join chat_assignments a on a.chat_id = c.id
      where c.workspace_id = 'ws' and (ca.owner_user_id in (select user_id from team_members where team_id = 'sales')
        or a.user_id in (select user_id from team_members where team_id = 'sales'))`.execute(t.db);
    expect(seen.size).toBe(Number(rows[0]?.n));
  });

  it('lists a broad scope exactly, walked or per branch, whatever its ids hold (commas, quotes)', async () => {
    // A team of 12 whose user, team and account ids hold commas and quotes: the scope's long id
    // lists go to the server as one joined text unless an id holds a comma.
    await sql`
      insert into workspaces (id, organization_id, name, integration_secret) values ('ws3', 'org', 'W3', 's');
      insert into users (id, email, name) select 'v,"' || g, 'v' || g || '@t.test', 'V ' || g from generate_series(1, 14) g;
      insert into memberships (workspace_id, user_id, role)
        select 'ws3', 'v,"' || g, case when g = 1 then 'teammate' else 'agent' end from generate_series(1, 14) g;
      insert into teams (id, workspace_id, name) values ('t,3', 'ws3', 'T');
      insert into team_members (workspace_id, team_id, user_id) select 'ws3', 't,3', 'v,"' || g from generate_series(1, 12) g;
      insert into channel_accounts (id, workspace_id, type, name, owner_type, owner_user_id, status)
        select 'a,' || g, 'ws3', 'webhook', 'a' || g, 'user', 'v,"' || g, 'active' from generate_series(1, 14) g;
      insert into contacts (id, workspace_id, name) select 'k' || g, 'ws3', 'K ' || g from generate_series(1, 300) g;
      insert into chats (id, workspace_id, channel_id, external_id, contact_id, last_message_at)
        select 'x' || lpad(g::text, 4, '0'), 'ws3', 'a,' || (1 + g % 14), 'e' || g, 'k' || g,
               timestamptz '2026-02-01' + (g * 7 % 300) * interval '1 minute'
        from generate_series(1, 300) g;
      update chat_assignments a set user_id = 'v,"' || (1 + g % 14)
        from generate_series(1, 300, 4) g where a.chat_id = 'x' || lpad(g::text, 4, '0');
    `.execute(t.db);
    const facts = await loadWorkspaceAccess(t.db, 'ws3');
    const teammate = buildPrincipal(facts, 'v,"1');
    if (!teammate) throw new Error('no member');
    const chats = await loadChatFacts(
      t.db,
      'ws3',
      Array.from({ length: 300 }, (_, i) => `x${String(i + 1).padStart(4, '0')}`),
    );
    const expected = chats.filter((c) => allows(teammate, 'chat.view', c));
    expect(expected.length).toBeGreaterThan(100);
    expect(expected.length).toBeLessThan(300);
    const byId = new Map(chats.map((c) => [c.id, c]));
    for (const tuning of [
      { manyKeys: 0, walkRows: 5_000 },
      { manyKeys: 1_000, walkRows: 5_000 },
    ]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await listVisibleChats(t.db, teammate, { limit: 40, cursor }, tuning);
        for (const item of page.items) {
          seen.push(item.id);
          // The walk carries the assignee from its index; it must be the chat's.
          expect(item.assignee).toEqual(byId.get(item.id)?.assignee);
        }
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen.sort(), JSON.stringify(tuning)).toEqual(expected.map((c) => c.id).sort());
    }
  });

  it('refuses a cursor it did not issue with invalid_input', async () => {
    const agent = await principalOf('u1');
    for (const cursor of [
      'nope',
      encodeCursor({ at: 'not a date', id: 'x' }),
      Buffer.from('[1,2]').toString('base64url'),
    ]) {
      await expect(listVisibleChats(t.db, agent, { limit: 10, cursor })).rejects.toMatchObject({
        code: 'invalid_input',
      });
    }
    expect(decodeCursor(encodeCursor({ at: '2026-01-01T00:00:00.123456Z', id: 'chat1' }))).toEqual({
      at: '2026-01-01T00:00:00.123456Z',
      id: 'chat1',
    });
  });

  it('explains a decision and lists an audience; another workspace’s chat is not found', async () => {
    const access = accessFactsSource(t.db);
    const yes = await explainAccess(
      { access },
      { workspaceId: 'ws', userId: 'u1', chatId: 'chat000200', action: 'chat.view' },
    );
    expect(yes.allowed).toBe(true);
    expect(yes.reasons.join(' ')).toContain('Agent');
    const who = await listAudience(
      { access },
      { workspaceId: 'ws', chatId: 'chat000200', action: 'chat.view' },
    );
    expect(who.map((p) => p.userId)).toContain('u1');
    await expect(
      explainAccess(
        { access },
        { workspaceId: 'ws', userId: 'u1', chatId: 'chat_ws2', action: 'chat.view' },
      ),
    ).rejects.toBeInstanceOf(AppError);
    await expect(
      listAudience({ access }, { workspaceId: 'ws', chatId: 'chat_ws2', action: 'chat.view' }),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
