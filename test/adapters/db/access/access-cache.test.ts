import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WorkspaceAccessCache } from '../../../../src/adapters/db/access/access-cache.js';
import { buildPrincipal, buildPrincipals } from '../../../../src/core/access/index.js';
import { createTestDatabase, seedMembers, type TestDatabase } from '../../../support/database.js';

/**
 * Access facts kept in memory per workspace: current as long as `workspaces.access_version`
 * has not moved, and the database moves it on every change access is decided from.
 */
describe('workspace access cache', () => {
  let t: TestDatabase;

  const version = async (ws = 'ws_a') =>
    (
      await t.db
        .selectFrom('workspaces')
        .select('access_version')
        .where('id', '=', ws)
        .executeTakeFirstOrThrow()
    ).access_version;

  beforeAll(async () => {
    t = await createTestDatabase();
    const db = t.db;
    await seedMembers(db, {
      workspaces: ['ws_a', 'ws_b'],
      members: [
        { workspaceId: 'ws_a', userId: 'usr_1', role: 'admin' },
        { workspaceId: 'ws_a', userId: 'usr_2', role: 'agent' },
        { workspaceId: 'ws_b', userId: 'usr_2', role: 'agent' },
      ],
    });
    // Known to the organization, member of nothing yet.
    await db
      .insertInto('users')
      .values({ id: 'usr_3', email: 'cy@acme.test', name: 'Cy' })
      .execute();
  });

  afterAll(() => t.drop());

  describe('the version the database keeps', () => {
    let before: string;
    beforeEach(async () => {
      before = await version();
    });
    const moved = async () => BigInt(await version()) > BigInt(before);

    it('moves when a membership changes status, role or restrictions', async () => {
      for (const set of [
        { status: 'suspended' as const },
        { status: 'active' as const },
        { role: 'teammate' },
        { restrictions: JSON.stringify({ chatVisibility: 'team' }) },
      ]) {
        before = await version();
        await t.db
          .updateTable('memberships')
          .set(set)
          .where('workspace_id', '=', 'ws_a')
          .where('user_id', '=', 'usr_2')
          .execute();
        expect(await moved()).toBe(true);
      }
    });

    it('stays when only last-seen is written (every API request may do that)', async () => {
      await t.db
        .updateTable('memberships')
        .set({ last_seen_at: new Date() })
        .where('workspace_id', '=', 'ws_a')
        .execute();
      expect(await version()).toBe(before);
    });

    it('moves on teams, team members, roles and bindings — and only in their workspace', async () => {
      const other = await version('ws_b');
      await t.db
        .insertInto('teams')
        .values({ id: 'team_a', workspace_id: 'ws_a', name: 'Sales', status: 'active' })
        .execute();
      expect(await moved()).toBe(true);
      for (const change of [
        () =>
          t.db
            .insertInto('team_members')
            .values({ workspace_id: 'ws_a', team_id: 'team_a', user_id: 'usr_2' })
            .execute(),
        () =>
          t.db.updateTable('teams').set({ name: 'Sales EU' }).where('id', '=', 'team_a').execute(),
        () =>
          t.db
            .insertInto('roles')
            .values({
              id: 'role_x',
              workspace_id: 'ws_a',
              name: 'Night shift',
              permissions: JSON.stringify({ 'chat.view': 'team' }),
            })
            .execute(),
        () =>
          t.db
            .insertInto('role_bindings')
            .values({
              id: 'rb_1',
              workspace_id: 'ws_a',
              role_id: 'role_x',
              subject_type: 'team',
              subject_id: 'team_a',
            })
            .execute(),
        () => t.db.deleteFrom('role_bindings').where('id', '=', 'rb_1').execute(),
        () => t.db.deleteFrom('team_members').where('team_id', '=', 'team_a').execute(),
      ]) {
        before = await version();
        await change();
        expect(await moved()).toBe(true);
      }
      expect(await version('ws_b')).toBe(other);
    });

    it('moves in every workspace of a user whose name changes, and not when it stays', async () => {
      const b = await version('ws_b');
      await t.db
        .updateTable('users')
        .set({ updated_at: new Date() })
        .where('id', '=', 'usr_2')
        .execute();
      expect(await version()).toBe(before);
      await t.db.updateTable('users').set({ name: 'Bo' }).where('id', '=', 'usr_2').execute();
      expect(await moved()).toBe(true);
      expect(BigInt(await version('ws_b'))).toBeGreaterThan(BigInt(b));
    });
  });

  describe('the cache', () => {
    it('hands back the same facts and principals while nothing changed', async () => {
      const cache = new WorkspaceAccessCache(t.db);
      const first = await cache.workspaceAccess('ws_a');
      const again = await cache.workspaceAccess('ws_a');
      expect(again).toBe(first);
      expect(buildPrincipal(again, 'usr_1')).toBe(buildPrincipal(first, 'usr_1'));
      expect(buildPrincipals(again)).toBe(buildPrincipals(first));
      expect(first.members.map((m) => m.userId).sort()).toEqual(['usr_1', 'usr_2']);
    });

    it('sees a change committed elsewhere on the very next call', async () => {
      const here = new WorkspaceAccessCache(t.db);
      const elsewhere = new WorkspaceAccessCache(t.db);
      const before = await here.workspaceAccess('ws_a');
      await elsewhere.workspaceAccess('ws_a');
      expect(buildPrincipal(before, 'usr_2')?.status).toBe('active');

      await t.db
        .updateTable('memberships')
        .set({ status: 'revoked' })
        .where('workspace_id', '=', 'ws_a')
        .where('user_id', '=', 'usr_2')
        .execute();

      for (const cache of [here, elsewhere]) {
        const after = await cache.workspaceAccess('ws_a');
        expect(after).not.toBe(before);
        expect(buildPrincipal(after, 'usr_2')?.status).toBe('revoked');
      }
      await t.db
        .updateTable('memberships')
        .set({ status: 'active' })
        .where('workspace_id', '=', 'ws_a')
        .where('user_id', '=', 'usr_2')
        .execute();
      expect(buildPrincipal(await here.workspaceAccess('ws_a'), 'usr_2')?.status).toBe('active');
    });

    it('does not serve a change that was rolled back', async () => {
      const cache = new WorkspaceAccessCache(t.db);
      const before = await cache.workspaceAccess('ws_a');
      await expect(
        t.db.transaction().execute(async (trx) => {
          await trx
            .insertInto('memberships')
            .values({ workspace_id: 'ws_a', user_id: 'usr_3', role: 'owner', restrictions: '{}' })
            .execute();
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      const after = await cache.workspaceAccess('ws_a');
      expect(after).toBe(before);
      expect(buildPrincipal(after, 'usr_3')).toBeUndefined();
    });

    it('shares one load between concurrent misses', async () => {
      const cache = new WorkspaceAccessCache(t.db);
      const all = await Promise.all(Array.from({ length: 8 }, () => cache.workspaceAccess('ws_b')));
      expect(new Set(all).size).toBe(1);
    });

    it('keeps at most its capacity, least recently used leaving first', async () => {
      const cache = new WorkspaceAccessCache(t.db, 1);
      const a = await cache.workspaceAccess('ws_a');
      await cache.workspaceAccess('ws_b');
      expect(await cache.workspaceAccess('ws_a')).not.toBe(a);
    });

    it('gives an unknown workspace no members and keeps nothing of it', async () => {
      const cache = new WorkspaceAccessCache(t.db);
      const facts = await cache.workspaceAccess('ws_nope');
      expect(facts.members).toEqual([]);
      expect(await cache.workspaceAccess('ws_nope')).not.toBe(facts);
    });
  });
});
