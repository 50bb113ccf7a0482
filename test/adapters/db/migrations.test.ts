import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  migrateDownAll,
  migrateToLatest,
  type Database,
} from '../../../src/adapters/db/database.js';
import { migrations } from '../../../src/adapters/db/migrations/index.js';
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
