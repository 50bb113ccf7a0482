import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { teamsStore } from '../../../src/adapters/db/teams-store.js';
import { buildPrincipal, type WorkspaceAccessFacts } from '../../../src/core/access/index.js';
import { isAppError } from '../../../src/core/errors.js';
import { changeTeamMembership } from '../../../src/core/teams/change-team-membership.js';
import { createTestDatabase, seedMembers, type TestDatabase } from '../../support/database.js';

/**
 * Team membership is decided on rows locked in its transaction: a team deletion or a revoke
 * committing while the add waits is seen by the add, whatever an access cache still says.
 */
describe('team membership under concurrent changes (PostgreSQL)', () => {
  let t: TestDatabase;
  const WS = 'ws_1';
  // The actor's principal, as a cache built before the conflicting change would give it.
  const cached: WorkspaceAccessFacts = {
    workspaceId: WS,
    members: [
      { userId: 'admin', name: 'admin', role: 'admin', status: 'active', restrictions: {} },
      { userId: 'agent', name: 'agent', role: 'agent', status: 'active', restrictions: {} },
    ],
    teams: [],
    teamMembers: [],
    customRoles: [],
    bindings: [],
  };
  const admin = buildPrincipal(cached, 'admin') ?? expect.fail('no admin');
  const events = { publish: () => Promise.resolve() };

  beforeAll(async () => {
    t = await createTestDatabase();
    await seedMembers(t.db, {
      workspaces: [WS],
      members: [
        { workspaceId: WS, userId: 'admin', role: 'admin' },
        { workspaceId: WS, userId: 'agent', role: 'agent' },
        { workspaceId: WS, userId: 'other', role: 'agent' },
      ],
    });
  });
  afterAll(async () => {
    await t?.drop();
  });

  const newTeam = (name: string) =>
    teamsStore(t.db).transaction((tx) => tx.insertTeam({ workspaceId: WS, name, parentId: null }));

  /** Resolves once some session of this database waits for a row lock. */
  async function someoneWaitsForALock() {
    for (let i = 0; i < 200; i++) {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'
      `.execute(t.db);
      if ((rows[0]?.n ?? 0) > 0) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('nobody waited for a lock');
  }

  /** Runs `change` in a transaction held open until the add is seen waiting, then commits. */
  async function raceAdd(teamId: string, userId: string, change: string) {
    let added: Promise<unknown> | undefined;
    await t.db.transaction().execute(async (trx) => {
      await sql.raw(change).execute(trx);
      added = changeTeamMembership(
        { store: teamsStore(t.db), events },
        { actor: admin, workspaceId: WS, teamId, userId, action: 'add' },
      ).then(
        () => 'added',
        (e: unknown) => (isAppError(e) ? e.code : e),
      );
      await someoneWaitsForALock();
    });
    return added;
  }

  const inTeam = async (teamId: string) =>
    (
      await t.db
        .selectFrom('team_members')
        .select('user_id')
        .where('team_id', '=', teamId)
        .execute()
    ).map((r) => r.user_id);

  it('an add waiting while the team is deleted is not found, and adds nobody', async () => {
    const team = await newTeam('Doomed');
    expect(
      await raceAdd(
        team.id,
        'agent',
        `update teams set status = 'deleted' where id = '${team.id}'`,
      ),
    ).toBe('not_found');
    expect(await inTeam(team.id)).toEqual([]);
  });

  it('an add waiting while the member is revoked is not found, and adds nobody', async () => {
    const team = await newTeam('Kept');
    expect(
      await raceAdd(
        team.id,
        'other',
        `update memberships set status = 'revoked' where workspace_id = '${WS}' and user_id = 'other'`,
      ),
    ).toBe('not_found');
    expect(await inTeam(team.id)).toEqual([]);
  });

  it('without a conflicting change the add goes through', async () => {
    const team = await newTeam('Plain');
    await changeTeamMembership(
      { store: teamsStore(t.db), events },
      {
        actor: admin,
        workspaceId: WS,
        teamId: team.id,
        userId: 'agent',
        action: 'add',
      },
    );
    expect(await inTeam(team.id)).toEqual(['agent']);
  });
});
