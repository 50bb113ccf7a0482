import { Migrator, sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  migrateDownAll,
  migrateToLatest,
  type Database,
} from '../../../src/adapters/db/database.js';
import * as m0013 from '../../../src/adapters/db/migrations/0013-e164-phones.js';
import { migrationProvider, migrations } from '../../../src/adapters/db/migrations/index.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

const domainTables = [
  'organizations',
  'workspaces',
  'teams',
  'team_tree',
  'team_members',
  'users',
  'organization_members',
  'memberships',
  'invitations',
  'roles',
  'role_bindings',
  'api_tokens',
  'channel_accounts',
  'whatsapp_sessions',
  'contacts',
  'chats',
  'chat_assignments',
  'channel_chat_counts',
  'assigned_chat_counts',
  'scope_counts',
  'scope_count_subjects',
  'chat_participants',
  'messages',
  'ratings',
  'crm_grants',
  'routing_rules',
  'routing_cursors',
  'webhooks',
  'webhook_deliveries',
  'jobs',
  'outbox',
  'audit_log',
  'integrations',
  'integration_users',
  'crm_records',
  'signed_request_replays',
];

async function tables(db: Database): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_name not like 'kysely_%' order by 1`.execute(db);
  return rows.map((r) => r.name);
}

describe('migrations', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ migrated: false });
  });
  afterAll(() => t.drop());

  it('create the whole domain of PRODUCT.md §1–4 on an empty database', async () => {
    const result = await migrateToLatest(t.db);
    expect(result.results?.map((r) => [r.migrationName, r.status])).toEqual(
      Object.keys(migrations).map((name) => [name, 'Success']),
    );
    expect(await tables(t.db)).toEqual([...domainTables].sort());
  });

  it('do nothing the second time (a restart finds the schema up to date)', async () => {
    const result = await migrateToLatest(t.db);
    expect(result.results).toEqual([]);
  });

  it('run down to nothing and up again', async () => {
    await migrateDownAll(t.db);
    expect(await tables(t.db)).toEqual([]);
    await migrateToLatest(t.db);
    expect(await tables(t.db)).toEqual([...domainTables].sort());
  });

  it('0007 carries existing assignments into chat_assignments, and back down', async () => {
    const other = await createTestDatabase({ migrated: false });
    try {
      const migrator = new Migrator({ db: other.db, provider: migrationProvider });
      await migrator.migrateTo('0006-whatsapp-qr');
      for (const statement of [
        sql`insert into organizations (id, name) values ('org', 'O')`,
        sql`insert into workspaces (id, organization_id, name, integration_secret) values ('ws', 'org', 'W', 's')`,
        sql`insert into users (id, email, name) values ('u1', 'u1@x.test', 'U1'), ('u2', 'u2@x.test', 'U2')`,
        sql`insert into memberships (workspace_id, user_id, role) values ('ws', 'u1', 'agent'), ('ws', 'u2', 'agent')`,
        sql`insert into teams (id, workspace_id, name) values ('t1', 'ws', 'T')`,
        sql`insert into channel_accounts (id, workspace_id, type, name, owner_type, status) values ('ch', 'ws', 'webhook', 'c', 'workspace', 'active')`,
        sql`insert into contacts (id, workspace_id, name) values ('ct', 'ws', 'C')`,
        sql`insert into chats (id, workspace_id, channel_id, external_id, contact_id, assignee_user_id, assignee_team_id, last_assignee_user_id, last_message_at) values
          ('c1', 'ws', 'ch', 'e1', 'ct', 'u1', null, 'u1', '2026-05-01T10:00:00.123456Z'),
          ('c2', 'ws', 'ch', 'e2', 'ct', null, 't1', 'u2', '2026-05-02T10:00:00Z'),
          ('c3', 'ws', 'ch', 'e3', 'ct', null, null, null, '2026-05-03T10:00:00Z')`,
      ])
        await statement.execute(other.db);
      await migrateToLatest(other.db);
      const { rows } = await sql<Record<string, string | null>>`
        select a.chat_id, a.user_id, a.team_id, a.last_user_id, (a.last_message_at = c.last_message_at)::text as same_time
        from chat_assignments a join chats c on c.id = a.chat_id order by 1`.execute(other.db);
      expect(rows).toEqual([
        { chat_id: 'c1', user_id: 'u1', team_id: null, last_user_id: 'u1', same_time: 'true' },
        { chat_id: 'c2', user_id: null, team_id: 't1', last_user_id: 'u2', same_time: 'true' },
        { chat_id: 'c3', user_id: null, team_id: null, last_user_id: null, same_time: 'true' },
      ]);
      await migrator.migrateTo('0006-whatsapp-qr');
      const { rows: back } = await sql<Record<string, string | null>>`
        select id, assignee_user_id, assignee_team_id, last_assignee_user_id from chats order by 1`.execute(
        other.db,
      );
      expect(back).toEqual([
        { id: 'c1', assignee_user_id: 'u1', assignee_team_id: null, last_assignee_user_id: 'u1' },
        { id: 'c2', assignee_user_id: null, assignee_team_id: 't1', last_assignee_user_id: 'u2' },
        { id: 'c3', assignee_user_id: null, assignee_team_id: null, last_assignee_user_id: null },
      ]);
    } finally {
      await other.drop();
    }
  });

  it('0013 gives stored phones their plus (issue 17), keeps what it cannot read aside, idempotently, and back down', async () => {
    const other = await createTestDatabase({ migrated: false });
    try {
      const migrator = new Migrator({ db: other.db, provider: migrationProvider });
      await migrator.migrateTo('0012-covering-list-indexes');
      for (const statement of [
        sql`insert into organizations (id, name) values ('org', 'O')`,
        sql`insert into workspaces (id, organization_id, name, integration_secret) values ('ws', 'org', 'W', 's'), ('ws2', 'org', 'W2', 's')`,
        sql`insert into contacts (id, workspace_id, name, phone, fields, created_at) values
          ('ct_bare', 'ws', '4930123456', '4930123456', '{}', '2026-01-02'),
          ('ct_00_same', 'ws', 'Second spelling', '004930123456', '{}', '2026-01-01'),
          ('ct_00', 'ws', 'London', '00442079460000', '{}', '2026-01-01'),
          ('ct_national', 'ws', 'Berlin office', '030123456', '{"tier": "gold"}', '2026-01-01'),
          ('ct_short', 'ws', 'Short', '111222333', '{}', '2026-01-01'),
          ('ct_none', 'ws', 'No phone', null, '{}', '2026-01-01'),
          ('ct_other_ws', 'ws2', 'Same number elsewhere', '4930123456', '{}', '2026-01-01')`,
        sql`insert into channel_accounts (id, workspace_id, type, name, owner_type, status, settings) values
          ('ch_wa', 'ws', 'whatsapp', 'wa', 'workspace', 'disconnected',
           '{"groups": true, "phoneNumber": "keep", "excludedContacts": ["4917655555555", "004917655555555", "030123456", "120363025246125486@g.us", "187743294562371@lid"]}'),
          ('ch_hook', 'ws', 'webhook', 'hook', 'workspace', 'active', '{"excludedContacts": ["4917655555555"]}')`,
      ])
        await statement.execute(other.db);

      await migrateToLatest(other.db);
      const contacts = async () =>
        (
          await sql<{ id: string; name: string; phone: string | null; fields: object }>`
            select id, name, phone, fields from contacts order by id`.execute(other.db)
        ).rows;
      const settings = async () =>
        (
          await sql<{
            id: string;
            settings: object;
          }>`select id, settings from channel_accounts order by id`.execute(other.db)
        ).rows;
      const migrated = await contacts();
      expect(migrated).toEqual([
        { id: 'ct_00', name: 'London', phone: '+442079460000', fields: {} },
        // Two spellings of one number: the contact whose digits already were it keeps it.
        {
          id: 'ct_00_same',
          name: 'Second spelling',
          phone: null,
          fields: { phoneBeforeE164: '004930123456' },
        },
        // Named after its bare number: renamed to the number's new form.
        { id: 'ct_bare', name: '+4930123456', phone: '+4930123456', fields: {} },
        {
          id: 'ct_national',
          name: 'Berlin office',
          phone: null,
          fields: { tier: 'gold', phoneBeforeE164: '030123456' },
        },
        { id: 'ct_none', name: 'No phone', phone: null, fields: {} },
        {
          id: 'ct_other_ws',
          name: 'Same number elsewhere',
          phone: '+4930123456',
          fields: {},
        },
        { id: 'ct_short', name: 'Short', phone: null, fields: { phoneBeforeE164: '111222333' } },
      ]);
      const migratedSettings = await settings();
      expect(migratedSettings).toEqual([
        { id: 'ch_hook', settings: { excludedContacts: ['4917655555555'] } },
        {
          id: 'ch_wa',
          settings: {
            groups: true,
            phoneNumber: 'keep',
            // A national number could only ever have matched the WhatsApp id of those digits.
            excludedContacts: [
              '+4917655555555',
              '030123456@c.us',
              '120363025246125486@g.us',
              '187743294562371@lid',
            ],
          },
        },
      ]);
      // From now on the database takes E.164 only.
      await expect(
        sql`insert into contacts (id, workspace_id, name, phone) values ('ct_new', 'ws', 'N', '4915112345678')`.execute(
          other.db,
        ),
      ).rejects.toMatchObject({ code: '23514', constraint: 'contacts_phone_e164' });

      // Idempotent: running it again changes nothing (outside the migrator it opens its own
      // transaction).
      await m0013.up(other.db as unknown as Kysely<unknown>);
      expect(await contacts()).toEqual(migrated);
      expect(await settings()).toEqual(migratedSettings);

      await migrator.migrateTo('0012-covering-list-indexes');
      const down = await contacts();
      expect(down.map((c) => [c.id, c.name, c.phone])).toEqual([
        ['ct_00', 'London', '442079460000'],
        ['ct_00_same', 'Second spelling', '004930123456'],
        ['ct_bare', '4930123456', '4930123456'],
        ['ct_national', 'Berlin office', '030123456'],
        ['ct_none', 'No phone', null],
        ['ct_other_ws', 'Same number elsewhere', '4930123456'],
        ['ct_short', 'Short', '111222333'],
      ]);
      expect(down.find((c) => c.id === 'ct_national')?.fields).toEqual({ tier: 'gold' });
      expect((await settings()).find((s) => s.id === 'ch_wa')?.settings).toMatchObject({
        excludedContacts: [
          '4917655555555',
          '030123456@c.us',
          '120363025246125486@g.us',
          '187743294562371@lid',
        ],
      });
    } finally {
      await other.drop();
    }
  });

  it('survive two processes migrating at once', async () => {
    const other = await createTestDatabase({ migrated: false });
    try {
      const { createDatabase } = await import('../../../src/adapters/db/database.js');
      const second = createDatabase({ url: other.url, maxConnections: 2 });
      const results = await Promise.all([migrateToLatest(other.db), migrateToLatest(second.db)]);
      const applied = results.flatMap((r) => r.results ?? []).filter((r) => r.status === 'Success');
      expect(applied).toHaveLength(Object.keys(migrations).length);
      await second.db.destroy();
    } finally {
      await other.drop();
    }
  });
});
