import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { inject } from 'vitest';
import { createDatabase, type Database } from '../../src/adapters/db/database.js';
import { adminQuery, databaseUrl } from './global-setup.js';
import type { AssigneeRef } from '../../src/core/access/index.js';

export interface TestDatabase {
  db: Database;
  url: string;
  name: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/**
 * A migrated database of this test file's own, cloned from the run's template. Call in
 * `beforeAll` and `drop()` in `afterAll`.
 */
export async function createTestDatabase(
  options: { migrated?: boolean } = {},
): Promise<TestDatabase> {
  const server = inject('postgresServerUrl');
  const name = `sb_test_${randomBytes(6).toString('hex')}`;
  const template = options.migrated === false ? 'template0' : inject('templateDatabase');
  await adminQuery(server, `create database ${name} template ${template}`);
  const url = databaseUrl(server, name);
  const { db } = createDatabase({ url, maxConnections: 4 });
  return {
    db,
    url,
    name,
    async drop() {
      await db.destroy();
      await adminQuery(server, `drop database if exists ${name} with (force)`);
    },
  };
}

export const redisUrl = (): string | undefined => inject('redisUrl');

/**
 * Sets who seeded chats are assigned to (a chat's chat_assignments row is made with it,
 * unassigned, by the database). For tests and benchmarks that insert chats directly.
 */
export async function assignChats(
  db: Database,
  chats: readonly { chatId: string; assignee: AssigneeRef }[],
): Promise<void> {
  const assigned = chats.filter((c) => c.assignee !== null);
  if (assigned.length === 0) return;
  await sql`
    update chat_assignments a set user_id = v.user_id, team_id = v.team_id,
      last_user_id = coalesce(v.user_id, a.last_user_id)
    from unnest(${assigned.map((c) => c.chatId)}::text[],
                ${assigned.map((c) => (c.assignee?.type === 'user' ? c.assignee.userId : null))}::text[],
                ${assigned.map((c) => (c.assignee?.type === 'team' ? c.assignee.teamId : null))}::text[])
      as v(chat_id, user_id, team_id)
    where a.chat_id = v.chat_id
  `.execute(db);
}

/**
 * An organization `org_1` with the given workspaces (named by their ids), users (named by
 * theirs, email `<id>@acme.test`) and memberships: the people part most schema-level tests
 * start from.
 */
export async function seedMembers(
  db: Database,
  input: {
    workspaces: readonly string[];
    members: ReadonlyArray<{ workspaceId: string; userId: string; role: string }>;
  },
): Promise<void> {
  await db.insertInto('organizations').values({ id: 'org_1', name: 'Acme' }).execute();
  await db
    .insertInto('workspaces')
    .values(
      input.workspaces.map((id) => ({
        id,
        organization_id: 'org_1',
        name: id,
        integration_secret: 's',
      })),
    )
    .execute();
  const users = [...new Set(input.members.map((m) => m.userId))];
  await db
    .insertInto('users')
    .values(users.map((id) => ({ id, email: `${id}@acme.test`, name: id })))
    .execute();
  await db
    .insertInto('memberships')
    .values(
      input.members.map((m) => ({
        workspace_id: m.workspaceId,
        user_id: m.userId,
        role: m.role,
        restrictions: '{}',
      })),
    )
    .execute();
}
