import { describe, expect, it } from 'vitest';
import {
  buildPrincipal,
  validateRolePermissions,
  type AccessFactsSource,
  type BindingFacts,
  type CustomRoleFacts,
  type MemberFacts,
  type TeamFacts,
  type WorkspaceAccessFacts,
} from '../../../src/core/access/index.js';
import { isAppError } from '../../../src/core/errors.js';
import type { SwitchboardEvent } from '../../../src/core/events/events.js';
import { bindRole } from '../../../src/core/teams/bind-role.js';
import { changeTeamMembership } from '../../../src/core/teams/change-team-membership.js';
import { changeTeamStatus } from '../../../src/core/teams/change-team-status.js';
import { createRole } from '../../../src/core/teams/create-role.js';
import { createTeam } from '../../../src/core/teams/create-team.js';
import type { TeamsAuditEntry, TeamsStore } from '../../../src/core/teams/teams-store.js';

/**
 * The team and role use cases against in-memory fakes of their ports. The fake store commits
 * a transaction's writes only when its work succeeds, so a refused action is seen to write
 * nothing; the access source reads the committed state.
 */
const WS = 'ws';

interface State {
  members: MemberFacts[];
  teams: TeamFacts[];
  teamMembers: Array<{ teamId: string; userId: string }>;
  customRoles: CustomRoleFacts[];
  bindings: BindingFacts[];
  jobs: Array<{
    id: string;
    workspaceId: string;
    type: string;
    input: Record<string, unknown>;
    createdBy: string;
  }>;
  audits: TeamsAuditEntry[];
}

const clone = (s: State): State => ({
  members: s.members.map((m) => ({ ...m })),
  teams: s.teams.map((t) => ({ ...t })),
  teamMembers: s.teamMembers.map((t) => ({ ...t })),
  customRoles: [...s.customRoles],
  bindings: [...s.bindings],
  jobs: [...s.jobs],
  audits: [...s.audits],
});

function world() {
  const member = (userId: string, role: string, status: MemberFacts['status'] = 'active') => ({
    userId,
    name: userId,
    role,
    status,
    restrictions: {},
  });
  let state: State = {
    members: [
      member('owner', 'owner'),
      member('admin', 'admin'),
      member('agent', 'agent'),
      member('gone', 'agent', 'revoked'),
    ],
    teams: [
      { id: 'sales', name: 'Sales', parentId: null, status: 'active' },
      { id: 'old', name: 'Old', parentId: null, status: 'deleted' },
    ],
    teamMembers: [{ teamId: 'sales', userId: 'admin' }],
    customRoles: [],
    bindings: [],
    jobs: [],
    audits: [],
  };
  const facts = (): WorkspaceAccessFacts => ({ workspaceId: WS, ...clone(state) });
  const access: AccessFactsSource = {
    workspaceAccess: (workspaceId) => {
      expect(workspaceId).toBe(WS);
      return Promise.resolve(facts());
    },
    chatFacts: () => Promise.resolve([]),
  };
  let seq = 0;
  const store: TeamsStore = {
    async transaction(work) {
      const draft = clone(state);
      const result = await work({
        lockTeam: (_ws, teamId) =>
          Promise.resolve(
            (() => {
              const t = draft.teams.find((x) => x.id === teamId);
              return t && { ...t };
            })(),
          ),
        lockMember: (_ws, userId) =>
          Promise.resolve(draft.members.find((m) => m.userId === userId)?.status),
        insertTeam: ({ name, parentId }) => {
          const team = { id: `team${++seq}`, name, parentId, status: 'active' as const };
          draft.teams.push(team);
          return Promise.resolve({ ...team });
        },
        setTeamStatus: (_ws, teamId, status) => {
          const t = draft.teams.find((x) => x.id === teamId);
          if (!t) throw new Error(teamId);
          t.status = status;
          return Promise.resolve();
        },
        addTeamMember: (_ws, teamId, userId) => {
          if (!draft.teamMembers.some((m) => m.teamId === teamId && m.userId === userId))
            draft.teamMembers.push({ teamId, userId });
          return Promise.resolve();
        },
        removeTeamMember: (_ws, teamId, userId) => {
          draft.teamMembers = draft.teamMembers.filter(
            (m) => !(m.teamId === teamId && m.userId === userId),
          );
          return Promise.resolve();
        },
        insertRole: ({ name, permissions }) => {
          const role = { id: `role${++seq}`, name, permissions };
          draft.customRoles.push(role);
          return Promise.resolve(role);
        },
        insertBinding: ({ roleId, subject }) => {
          if (
            draft.bindings.some(
              (b) =>
                b.roleId === roleId &&
                b.subject.type === subject.type &&
                b.subject.id === subject.id,
            )
          )
            return Promise.resolve(undefined);
          const binding = { id: `bind${++seq}`, roleId, subject };
          draft.bindings.push(binding);
          return Promise.resolve(binding);
        },
        recordJob: (job) => {
          const id = `job${++seq}`;
          draft.jobs.push({ id, ...job });
          return Promise.resolve(id);
        },
        audit: (entry) => {
          draft.audits.push(entry);
          return Promise.resolve();
        },
      });
      state = draft;
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
  const as = (userId: string) => {
    const p = buildPrincipal(facts(), userId);
    if (!p) throw new Error(userId);
    return p;
  };
  return { deps: { store, access, events }, state: () => state, published, as };
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isAppError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('team and role use cases', () => {
  it('§2 only teams.manage may suspend a team: an Agent is refused with the permission named, and nothing is written', async () => {
    const w = world();
    const refused = await refusal(
      changeTeamStatus(w.deps, {
        actor: w.as('agent'),
        workspaceId: WS,
        teamId: 'sales',
        action: 'suspend',
      }),
    );
    expect(refused.code).toBe('forbidden');
    expect(refused.message).toContain('teams.manage');
    expect(w.state().teams.find((t) => t.id === 'sales')?.status).toBe('active');
    expect(w.state().jobs).toEqual([]);
    expect(w.published).toEqual([]);
  });

  it('§2 suspending a team: status, hand-back job, audit in one transaction, then access.changed; again is a conflict', async () => {
    const w = world();
    const { jobId } = await changeTeamStatus(w.deps, {
      actor: w.as('admin'),
      workspaceId: WS,
      teamId: 'sales',
      action: 'suspend',
    });
    expect(w.state().teams.find((t) => t.id === 'sales')?.status).toBe('suspended');
    expect(w.state().jobs).toEqual([
      {
        id: jobId,
        workspaceId: WS,
        type: 'team.suspend',
        input: { teamId: 'sales' },
        createdBy: 'admin',
      },
    ]);
    expect(w.state().audits).toEqual([
      expect.objectContaining({
        action: 'team.suspend',
        targetId: 'sales',
        before: { status: 'active' },
        after: { status: 'suspended', jobId },
      }),
    ]);
    expect(w.published).toEqual([{ type: 'access.changed', workspaceId: WS }]);
    const again = await refusal(
      changeTeamStatus(w.deps, {
        actor: w.as('admin'),
        workspaceId: WS,
        teamId: 'sales',
        action: 'suspend',
      }),
    );
    expect(again.code).toBe('conflict');
    expect(w.state().jobs).toHaveLength(1);
    expect(w.published).toHaveLength(1);
  });

  it('a deleted team or one the workspace does not have is not found; a suspended one may be deleted', async () => {
    const w = world();
    for (const teamId of ['old', 'nope']) {
      const refused = await refusal(
        changeTeamStatus(w.deps, {
          actor: w.as('owner'),
          workspaceId: WS,
          teamId,
          action: 'delete',
        }),
      );
      expect(refused.code).toBe('not_found');
    }
    await changeTeamStatus(w.deps, {
      actor: w.as('owner'),
      workspaceId: WS,
      teamId: 'sales',
      action: 'suspend',
    });
    await changeTeamStatus(w.deps, {
      actor: w.as('owner'),
      workspaceId: WS,
      teamId: 'sales',
      action: 'delete',
    });
    expect(w.state().teams.find((t) => t.id === 'sales')?.status).toBe('deleted');
    expect(w.state().jobs.map((j) => j.type)).toEqual(['team.suspend', 'team.delete']);
  });

  it('creates a team under an active parent only; nobody’s access changes, so nothing is published', async () => {
    const w = world();
    const sub = await createTeam(w.deps, {
      actor: w.as('admin'),
      workspaceId: WS,
      name: 'EU',
      parentId: 'sales',
    });
    expect(sub).toEqual(
      expect.objectContaining({ name: 'EU', parentId: 'sales', status: 'active' }),
    );
    expect(w.state().audits.map((a) => a.action)).toEqual(['team.create']);
    expect(w.published).toEqual([]);
    const refused = await refusal(
      createTeam(w.deps, { actor: w.as('admin'), workspaceId: WS, name: 'X', parentId: 'old' }),
    );
    expect(refused.code).toBe('invalid_input');
    expect(
      (
        await refusal(
          createTeam(w.deps, { actor: w.as('agent'), workspaceId: WS, name: 'X', parentId: null }),
        )
      ).code,
    ).toBe('forbidden');
  });

  it('adds and removes team members with an audit entry and access.changed each; a revoked member or deleted team is not found', async () => {
    const w = world();
    await changeTeamMembership(w.deps, {
      actor: w.as('admin'),
      workspaceId: WS,
      teamId: 'sales',
      userId: 'agent',
      action: 'add',
    });
    expect(w.state().teamMembers).toContainEqual({ teamId: 'sales', userId: 'agent' });
    await changeTeamMembership(w.deps, {
      actor: w.as('admin'),
      workspaceId: WS,
      teamId: 'sales',
      userId: 'agent',
      action: 'remove',
    });
    expect(w.state().teamMembers).not.toContainEqual({ teamId: 'sales', userId: 'agent' });
    expect(w.state().audits.map((a) => a.action)).toEqual([
      'team.member_add',
      'team.member_remove',
    ]);
    expect(w.published).toHaveLength(2);
    for (const [teamId, userId] of [
      ['sales', 'gone'],
      ['old', 'agent'],
      ['sales', 'nobody'],
    ] as const) {
      const refused = await refusal(
        changeTeamMembership(w.deps, {
          actor: w.as('admin'),
          workspaceId: WS,
          teamId,
          userId,
          action: 'add',
        }),
      );
      expect(refused.code).toBe('not_found');
    }
    expect(w.published).toHaveLength(2);
  });

  it('custom roles: validated, unique by name whatever the case, permissions.edit only', async () => {
    const w = world();
    const role = await createRole(w.deps, {
      actor: w.as('admin'),
      workspaceId: WS,
      name: 'Desk',
      permissions: { 'chat.view': 'all' },
    });
    expect(role.permissions).toEqual(validateRolePermissions({ 'chat.view': 'all' }));
    expect(
      (
        await refusal(
          createRole(w.deps, {
            actor: w.as('admin'),
            workspaceId: WS,
            name: 'desk',
            permissions: {},
          }),
        )
      ).code,
    ).toBe('conflict');
    expect(
      (
        await refusal(
          createRole(w.deps, {
            actor: w.as('admin'),
            workspaceId: WS,
            name: 'Broken',
            permissions: { 'chat.reply': 'all', 'chat.view': 'own' },
          }),
        )
      ).code,
    ).toBe('invalid_input');
    expect(
      (
        await refusal(
          createRole(w.deps, {
            actor: w.as('agent'),
            workspaceId: WS,
            name: 'Mine',
            permissions: {},
          }),
        )
      ).code,
    ).toBe('forbidden');
    expect(w.state().customRoles).toHaveLength(1);
  });

  it('§2 nobody changes their own access: a binding reaching the actor is refused; another admin may make it; twice is a conflict', async () => {
    const w = world();
    const role = await createRole(w.deps, {
      actor: w.as('owner'),
      workspaceId: WS,
      name: 'Desk',
      permissions: { 'chat.view': 'all', 'billing.manage': 'all' },
    });
    const subject = { type: 'team' as const, id: 'sales' };
    const own = await refusal(
      bindRole(w.deps, { actor: w.as('admin'), workspaceId: WS, roleId: role.id, subject }),
    );
    expect(own.code).toBe('forbidden');
    expect(w.state().bindings).toEqual([]);
    expect(w.published).toEqual([]);
    const binding = await bindRole(w.deps, {
      actor: w.as('owner'),
      workspaceId: WS,
      roleId: role.id,
      subject,
    });
    expect(binding).toEqual(expect.objectContaining({ roleId: role.id, subject }));
    expect(w.state().audits.at(-1)).toEqual(
      expect.objectContaining({ action: 'role.bind', targetId: binding.id }),
    );
    expect(w.published).toEqual([{ type: 'access.changed', workspaceId: WS }]);
    const twice = await refusal(
      bindRole(w.deps, { actor: w.as('owner'), workspaceId: WS, roleId: role.id, subject }),
    );
    expect(twice.code).toBe('conflict');
    expect(w.published).toHaveLength(1);
    for (const [roleId, s] of [
      ['admin', subject],
      [role.id, { type: 'user' as const, id: 'gone' }],
      [role.id, { type: 'team' as const, id: 'old' }],
    ] as const) {
      expect(
        (
          await refusal(
            bindRole(w.deps, { actor: w.as('owner'), workspaceId: WS, roleId, subject: s }),
          )
        ).code,
      ).toBe('invalid_input');
    }
  });
});
