import { describe, expect, it } from 'vitest';
import {
  buildPrincipal,
  type MembershipStatus,
  type TeamStatus,
  type WorkspaceAccessFacts,
} from '../../../src/core/access/index.js';
import { isAppError } from '../../../src/core/errors.js';
import type { SwitchboardEvent } from '../../../src/core/events/events.js';
import { changeTeamMembership } from '../../../src/core/teams/change-team-membership.js';
import type { TeamsAuditEntry, TeamsStore, TeamsTx } from '../../../src/core/teams/teams-store.js';

/**
 * Team membership is decided on the rows the transaction locks, not on the access facts an
 * actor's principal was built from: those may be a cached, older picture of the workspace.
 */
const WS = 'ws';

/** The access facts the actor was resolved from: everyone active, every team active. */
const cachedFacts: WorkspaceAccessFacts = {
  workspaceId: WS,
  members: [
    { userId: 'admin', name: 'admin', role: 'admin', status: 'active', restrictions: {} },
    { userId: 'agent', name: 'agent', role: 'agent', status: 'active', restrictions: {} },
  ],
  teams: [{ id: 'sales', name: 'Sales', parentId: null, status: 'active' }],
  teamMembers: [],
  customRoles: [],
  bindings: [],
};

const as = (userId: string) => {
  const p = buildPrincipal(cachedFacts, userId);
  if (!p) throw new Error(userId);
  return p;
};

/** The database as it is now; `locks` records what the transaction locked, in order. */
function world(rows: { team?: TeamStatus; member?: MembershipStatus }) {
  const teamMembers: Array<{ teamId: string; userId: string }> = [];
  const audits: TeamsAuditEntry[] = [];
  const locks: string[] = [];
  const unused = () => Promise.reject(new Error('not used by this action'));
  const store: TeamsStore = {
    async transaction(work) {
      const writes: Array<() => void> = [];
      const tx: TeamsTx = {
        lockTeam: (_ws, teamId) => {
          locks.push(`team:${teamId}`);
          return Promise.resolve(
            rows.team && teamId === 'sales'
              ? { id: teamId, name: 'Sales', parentId: null, status: rows.team }
              : undefined,
          );
        },
        lockMember: (_ws, userId) => {
          locks.push(`member:${userId}`);
          return Promise.resolve(userId === 'agent' ? rows.member : undefined);
        },
        addTeamMember: (_ws, teamId, userId) => {
          writes.push(() => teamMembers.push({ teamId, userId }));
          return Promise.resolve();
        },
        removeTeamMember: () => Promise.resolve(),
        audit: (entry) => {
          writes.push(() => audits.push(entry));
          return Promise.resolve();
        },
        insertTeam: unused,
        setTeamStatus: unused,
        insertRole: unused,
        insertBinding: unused,
        recordJob: unused,
      };
      const result = await work(tx);
      for (const write of writes) write();
      return result;
    },
  };
  const published: SwitchboardEvent[] = [];
  const events = {
    publish: (event: SwitchboardEvent) => {
      published.push(event);
      return Promise.resolve();
    },
  };
  return { deps: { store, events }, teamMembers, audits, locks, published };
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isAppError(error)) return error.code;
    throw error;
  }
  throw new Error('expected a refusal');
}

const add = { actor: as('admin'), workspaceId: WS, teamId: 'sales', userId: 'agent' } as const;

describe('changeTeamMembership decides on locked rows', () => {
  it('adds the member after locking the team and the membership, then publishes access.changed', async () => {
    const w = world({ team: 'active', member: 'active' });
    await changeTeamMembership(w.deps, { ...add, action: 'add' });
    expect(w.locks).toEqual(['team:sales', 'member:agent']);
    expect(w.teamMembers).toEqual([{ teamId: 'sales', userId: 'agent' }]);
    expect(w.audits.map((a) => a.action)).toEqual(['team.member_add']);
    expect(w.published).toEqual([{ type: 'access.changed', workspaceId: WS }]);
  });

  it('a team deleted since the cached facts were read is not found: nothing written or published', async () => {
    const w = world({ team: 'deleted', member: 'active' });
    expect(await refusal(changeTeamMembership(w.deps, { ...add, action: 'add' }))).toBe(
      'not_found',
    );
    expect(w.teamMembers).toEqual([]);
    expect(w.audits).toEqual([]);
    expect(w.published).toEqual([]);
  });

  it('a member revoked (or gone) since the cached facts were read is not found', async () => {
    for (const member of ['revoked', undefined] as const) {
      const w = world({ team: 'active', ...(member ? { member } : {}) });
      expect(await refusal(changeTeamMembership(w.deps, { ...add, action: 'add' }))).toBe(
        'not_found',
      );
      expect(w.teamMembers).toEqual([]);
      expect(w.published).toEqual([]);
    }
  });

  it('a suspended team still takes members; only teams.manage may change them', async () => {
    const w = world({ team: 'suspended', member: 'suspended' });
    await changeTeamMembership(w.deps, { ...add, action: 'add' });
    expect(w.teamMembers).toHaveLength(1);
    expect(
      await refusal(changeTeamMembership(w.deps, { ...add, actor: as('agent'), action: 'add' })),
    ).toBe('forbidden');
  });
});
