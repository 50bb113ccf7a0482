import { describe, expect, it } from 'vitest';
import {
  assertMayActOnMember,
  buildPrincipal,
  validateRolePermissions,
  type MembershipStatus,
  type WorkspaceAccessFacts,
} from '../../../src/core/access/index.js';
import type { JobScope } from '../../../src/core/access/member-rules.js';
import { listJobs } from '../../../src/core/people/list-jobs.js';
import { viewJob } from '../../../src/core/people/view-job.js';
import { listMembers, type DirectoryMember } from '../../../src/core/people/list-members.js';

/**
 * The member list and the jobs list as use cases, over in-memory ports: the member list says
 * what the actor may do to each member exactly as the member rules decide the action itself,
 * and the jobs list asks its store for the actor's job scope, not for everything.
 */
const WS = 'ws';
const custom = {
  id: 'role_custom',
  name: 'Night shift',
  permissions: validateRolePermissions({ 'chat.view': 'team' }),
};
const roster: Array<[string, string, MembershipStatus]> = [
  ['o1', 'owner', 'active'],
  ['o2', 'owner', 'suspended'],
  ['a1', 'admin', 'active'],
  ['t1', 'teammate', 'active'],
  ['g1', 'agent', 'active'],
  ['g2', 'agent', 'suspended'],
  ['c1', 'role_custom', 'active'],
  ['x1', 'agent', 'revoked'],
];
const facts: WorkspaceAccessFacts = {
  workspaceId: WS,
  members: roster.map(([userId, role, status]) => ({
    userId,
    name: userId,
    role,
    status,
    restrictions: {},
    capacity: null,
  })),
  teams: [],
  teamMembers: [],
  customRoles: [custom],
  bindings: [],
};
const directoryMembers: DirectoryMember[] = roster.map(([userId, role, status]) => ({
  userId,
  email: `${userId}@t.test`,
  name: userId,
  role,
  status,
  teamIds: [],
  restrictions: {},
  lastSeenAt: null,
}));
const deps = {
  directory: {
    memberDirectory: () => Promise.resolve({ members: directoryMembers, invitations: [] }),
  },
  access: { workspaceAccess: () => Promise.resolve(facts), chatFacts: () => Promise.resolve([]) },
  now: () => new Date('2026-12-04T10:00:00Z'),
};
const as = (userId: string) => {
  const p = buildPrincipal(facts, userId);
  if (!p) throw new Error(userId);
  return p;
};

describe('listMembers', () => {
  it('says, for every actor and member, exactly what the member rules would allow', async () => {
    const actions = ['change_role', 'restrict', 'suspend', 'reinstate', 'revoke'] as const;
    const keys = {
      change_role: 'changeRole',
      restrict: 'restrict',
      suspend: 'suspend',
      reinstate: 'reinstate',
      revoke: 'revoke',
    } as const;
    let allowed = 0;
    let refused = 0;
    for (const [actorId, , status] of roster) {
      if (status !== 'active') continue;
      const actor = as(actorId);
      const list = await listMembers(deps, { actor, workspaceId: WS });
      for (const m of list.members) {
        for (const action of actions) {
          let rule = true;
          try {
            assertMayActOnMember(actor, { action, target: m, activeOwnerCount: 1 });
          } catch {
            rule = false;
          }
          expect(m.may[keys[action]], `${actorId} ${action} ${m.userId}`).toBe(rule);
          if (rule) allowed++;
          else refused++;
        }
      }
    }
    // Both answers occur, so the comparison could fail either way.
    expect(allowed).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(10);
  });

  it('offers Owners every role, Admins all but Owner (custom roles too), others none', async () => {
    const roles = async (userId: string) =>
      (await listMembers(deps, { actor: as(userId), workspaceId: WS })).grantableRoles.map(
        (r) => r.id,
      );
    expect(await roles('o1')).toEqual([
      'owner',
      'admin',
      'teammate',
      'agent',
      'collaborator',
      'role_custom',
    ]);
    expect(await roles('a1')).toEqual([
      'admin',
      'teammate',
      'agent',
      'collaborator',
      'role_custom',
    ]);
    expect(await roles('g1')).toEqual([]);
  });

  it('is refused to a principal of another workspace', async () => {
    await expect(
      listMembers(deps, { actor: as('o1'), workspaceId: 'other' }),
    ).rejects.toMatchObject({
      code: 'forbidden',
    });
  });
});

describe('listJobs', () => {
  it('asks the store for every job for those who manage users, else for the actor’s own', async () => {
    const asked: JobScope[] = [];
    const jobs = {
      recentJobs: (_ws: string, _limit: number, scope: JobScope) => {
        asked.push(scope);
        return Promise.resolve([]);
      },
    };
    await listJobs({ jobs }, { actor: as('a1'), workspaceId: WS, limit: 15 });
    await listJobs({ jobs }, { actor: as('g1'), workspaceId: WS, limit: 15 });
    expect(asked).toEqual([{ all: true }, { all: false, createdBy: 'g1' }]);
  });
});

describe('viewJob', () => {
  const rows: Record<string, { workspaceId: string; createdBy: string | null }> = {
    job_mine: { workspaceId: WS, createdBy: 'g1' },
    job_admins: { workspaceId: WS, createdBy: 'a1' },
    job_system: { workspaceId: WS, createdBy: null },
    job_elsewhere: { workspaceId: 'other', createdBy: 'g1' },
  };
  const jobs = {
    findJob: (jobId: string) => {
      const row = rows[jobId];
      return Promise.resolve(row && { job: { id: jobId }, ...row });
    },
  };
  const view = (userId: string, jobId: string) =>
    viewJob({ jobs }, { actor: as(userId), jobId }).then(
      (job) => job.id,
      (error: { code?: string }) => error.code,
    );

  it('shows a job to whoever started it and to those who manage users; to nobody else, nor across workspaces', async () => {
    expect(await view('g1', 'job_mine')).toBe('job_mine');
    expect(await view('g1', 'job_admins')).toBe('not_found');
    expect(await view('g1', 'job_system')).toBe('not_found');
    expect(await view('a1', 'job_admins')).toBe('job_admins');
    expect(await view('a1', 'job_mine')).toBe('job_mine');
    expect(await view('o1', 'job_system')).toBe('job_system');
    expect(await view('g1', 'job_elsewhere')).toBe('not_found');
    expect(await view('o1', 'job_elsewhere')).toBe('not_found');
    expect(await view('o1', 'job_none')).toBe('not_found');
  });
});
