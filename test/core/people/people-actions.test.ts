import { describe, expect, it } from 'vitest';
import {
  buildPrincipal,
  validateRolePermissions,
  type AccessFactsSource,
  type WorkspaceAccessFacts,
} from '../../../src/core/access/index.js';
import type { SwitchboardEvent } from '../../../src/core/events/events.js';
import { changeMemberAccess } from '../../../src/core/people/change-member-access.js';
import { changeMemberStatus } from '../../../src/core/people/change-member-status.js';
import { hashToken } from '../../../src/core/tokens.js';
import { inviteMember } from '../../../src/core/people/invite-member.js';
import { acceptInvitation } from '../../../src/core/people/accept-invitation.js';
import type {
  MemberRecord,
  NewInvitation,
  PeopleAuditEntry,
  PeopleStore,
} from '../../../src/core/people/people-store.js';
import { startRevoke } from '../../../src/core/people/start-revoke.js';
import { startBulkReassign } from '../../../src/core/people/start-bulk-reassign.js';
import { assertMayExportMembers, mayFollowJob } from '../../../src/core/access/member-rules.js';

/**
 * The people use cases (change access, suspend/reinstate, start a revoke) against in-memory
 * fakes of their ports. The fake store commits a transaction's writes only when its work
 * succeeds, so a refused action is seen to write nothing.
 */
const WS = 'ws';
const NOW = new Date('2026-12-01T10:00:00Z');
const blindRole = {
  id: 'role_blind',
  name: 'Sees nothing',
  permissions: validateRolePermissions({ 'chat.view': 'none' }),
};

interface State {
  members: Map<string, MemberRecord>;
  jobs: Array<{ id: string; type: string; input: Record<string, unknown>; createdBy: string }>;
  audits: PeopleAuditEntry[];
  invitations: Array<NewInvitation & { id: string; status: 'pending' | 'accepted' | 'cancelled' }>;
}
const TEAMS = ['team_active'];
/** Members' email addresses in the fake: `<userId>@t.test`. */
const emailOf = (userId: string) => `${userId}@t.test`;

function world(members: Array<[string, string, MemberRecord['status']?]>) {
  let state: State = {
    members: new Map(
      members.map(([userId, role, status]) => [
        userId,
        { userId, role, status: status ?? 'active', restrictions: {}, capacity: null },
      ]),
    ),
    jobs: [],
    audits: [],
    invitations: [],
  };
  const facts = (): WorkspaceAccessFacts => ({
    workspaceId: WS,
    members: [...state.members.values()].map((m) => ({ ...m, name: m.userId })),
    teams: [],
    teamMembers: [],
    customRoles: [blindRole],
    bindings: [],
  });
  /** The actor as they were when the request came in (before any transaction). */
  const principal = (userId: string, from = facts()) => {
    const p = buildPrincipal(from, userId);
    if (!p) throw new Error(userId);
    return p;
  };
  const store: PeopleStore = {
    async transaction(work) {
      const draft: State = {
        members: new Map([...state.members].map(([k, v]) => [k, { ...v }])),
        jobs: [...state.jobs],
        audits: [...state.audits],
        invitations: state.invitations.map((i) => ({ ...i })),
      };
      const result = await work({
        lockMembers: (workspaceId, ids) => {
          expect(workspaceId).toBe(WS);
          const all = [...draft.members.values()];
          const copy = (id: string) => {
            const m = draft.members.get(id);
            return m && { ...m };
          };
          return Promise.resolve({
            target: copy(ids.target),
            actor: copy(ids.actor),
            activeOwnerCount: all.filter((m) => m.role === 'owner' && m.status === 'active').length,
          });
        },
        roleExists: (_ws, role) =>
          Promise.resolve(
            ['owner', 'admin', 'teammate', 'agent', 'collaborator', blindRole.id].includes(role),
          ),
        updateMember: (_ws, userId, change) => {
          const member = draft.members.get(userId);
          if (!member) throw new Error(`no member ${userId}`);
          for (const key of ['role', 'restrictions', 'capacity', 'status'] as const)
            if (change[key] !== undefined) Object.assign(member, { [key]: change[key] });
          return Promise.resolve();
        },
        recordJob: (job) => {
          const id = `job${draft.jobs.length + 1}`;
          draft.jobs.push({ id, ...job });
          return Promise.resolve(id);
        },
        audit: (entry) => {
          draft.audits.push(entry);
          return Promise.resolve();
        },
        activeTeamIds: (_ws, ids) => Promise.resolve(ids.filter((id) => TEAMS.includes(id))),
        memberStatusByEmail: (_ws, email) =>
          Promise.resolve(
            [...draft.members.values()].find((m) => emailOf(m.userId) === email)?.status,
          ),
        replaceInvitation: (invitation) => {
          for (const i of draft.invitations)
            if (i.email === invitation.email && i.status === 'pending') i.status = 'cancelled';
          const id = `inv${draft.invitations.length + 1}`;
          draft.invitations.push({ ...invitation, id, status: 'pending' });
          return Promise.resolve(id);
        },
        lockInvitation: (hash) => {
          const found = draft.invitations.find((i) => i.tokenHash.equals(hash));
          return Promise.resolve(found && { ...found, teamIds: [...found.teamIds] });
        },
        findOrCreateUser: (person) => {
          const known = [...draft.members.keys()].find((id) => emailOf(id) === person.email);
          const id = known ?? person.email.split('@')[0] ?? person.email;
          return Promise.resolve({ id, email: person.email, name: person.name });
        },
        joinWorkspace: (invitation, userId) => {
          draft.members.set(userId, {
            userId,
            role: invitation.role,
            status: 'active',
            restrictions: invitation.restrictions,
            capacity: null,
          });
          return Promise.resolve();
        },
        markInvitationAccepted: (id) => {
          for (const i of draft.invitations) if (i.id === id) i.status = 'accepted';
          return Promise.resolve();
        },
        issueToken: (userId) => Promise.resolve(`sbu_${userId}`),
      });
      state = draft;
      return result;
    },
  };
  const events: SwitchboardEvent[] = [];
  const access: AccessFactsSource = {
    workspaceAccess: () => Promise.resolve(facts()),
    chatFacts: () => Promise.resolve([]),
  };
  const deps = {
    store,
    access,
    events: { publish: (e: SwitchboardEvent) => Promise.resolve(void events.push(e)) },
    now: () => NOW,
  };
  return {
    deps,
    events,
    principal,
    facts,
    state: () => state,
    member: (id: string) => state.members.get(id),
    /** Changes a member behind the use case's back (another admin, a moment ago). */
    meanwhile: (id: string, change: Partial<MemberRecord>) =>
      Object.assign(state.members.get(id) ?? {}, change),
  };
}

const codeOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
};

describe('changeMemberAccess', () => {
  it('changes role, restrictions and capacity, audits before/after and announces access.changed', async () => {
    const w = world([
      ['o1', 'owner'],
      ['a1', 'agent'],
    ]);
    await changeMemberAccess(w.deps, {
      actor: w.principal('o1'),
      workspaceId: WS,
      userId: 'a1',
      role: 'teammate',
      restrictions: { noDataExport: true },
      capacity: 5,
    });
    expect(w.member('a1')).toMatchObject({
      role: 'teammate',
      restrictions: { noDataExport: true },
      capacity: 5,
    });
    expect(w.state().audits).toEqual([
      {
        workspaceId: WS,
        actorUserId: 'o1',
        action: 'member.update',
        targetType: 'member',
        targetId: 'a1',
        before: { role: 'agent', restrictions: {}, capacity: null },
        after: { role: 'teammate', restrictions: { noDataExport: true }, capacity: 5 },
      },
    ]);
    expect(w.events).toEqual([{ type: 'access.changed', workspaceId: WS }]);
  });

  it('restrictions added and lifted apply to the member’s restrictions as locked, not as the actor last saw them', async () => {
    const w = world([
      ['o1', 'owner'],
      ['a1', 'agent'],
    ]);
    // Another admin restricted a1 a moment ago; this actor's facts do not show it yet.
    w.meanwhile('a1', { restrictions: { noDataExport: true, chatVisibility: 'self' } });
    const change = (add: object, lift: string[]) =>
      changeMemberAccess(w.deps, {
        actor: w.principal('o1'),
        workspaceId: WS,
        userId: 'a1',
        restrictionChanges: { add, lift: lift as never[] },
      });
    await change({ maskContactIdentifiers: true }, []);
    expect(w.member('a1')?.restrictions).toEqual({
      noDataExport: true,
      chatVisibility: 'self',
      maskContactIdentifiers: true,
    });
    await change({}, ['chatVisibility', 'noDataExport']);
    expect(w.member('a1')?.restrictions).toEqual({ maskContactIdentifiers: true });
    expect(await codeOf(change({ chatVisibility: 'everyone' }, []))).toBe('invalid_input');
  });

  it('an unknown role is invalid input; nothing is written or announced', async () => {
    const w = world([
      ['o1', 'owner'],
      ['a1', 'agent'],
    ]);
    const input = { actor: w.principal('o1'), workspaceId: WS, userId: 'a1', role: 'role_x' };
    expect(await codeOf(changeMemberAccess(w.deps, input))).toBe('invalid_input');
    expect(w.member('a1')?.role).toBe('agent');
    expect(w.state().audits).toEqual([]);
    expect(w.events).toEqual([]);
  });

  it('a member who does not exist is not found', async () => {
    const w = world([['o1', 'owner']]);
    const input = { actor: w.principal('o1'), workspaceId: WS, userId: 'nobody', capacity: 1 };
    expect(await codeOf(changeMemberAccess(w.deps, input))).toBe('not_found');
  });

  it('§2 of two Owners demoting each other, the second is refused: decided on the rows as locked', async () => {
    const w = world([
      ['o1', 'owner'],
      ['o2', 'owner'],
    ]);
    // Both requests were authenticated while both were Owners.
    const [o1, o2] = [w.principal('o1'), w.principal('o2')];
    const demote = (actor: typeof o1, userId: string) =>
      codeOf(changeMemberAccess(w.deps, { actor, workspaceId: WS, userId, role: 'admin' }));
    expect([await demote(o1, 'o2'), await demote(o2, 'o1')]).toEqual(['ok', 'conflict']);
    expect(w.member('o1')?.role).toBe('owner');
    expect(w.state().audits).toHaveLength(1);
  });

  it('an actor whose own access changed since their request came in is refused (conflict)', async () => {
    const w = world([
      ['o1', 'owner'],
      ['o2', 'owner'],
      ['a1', 'agent'],
    ]);
    const o1 = w.principal('o1');
    w.meanwhile('o1', { role: 'admin' });
    expect(
      await codeOf(
        changeMemberAccess(w.deps, { actor: o1, workspaceId: WS, userId: 'a1', role: 'owner' }),
      ),
    ).toBe('conflict');
    expect(w.member('a1')?.role).toBe('agent');
  });
});

describe('changeMemberStatus', () => {
  it('suspends and reinstates, each audited and announced', async () => {
    const w = world([
      ['a1', 'admin'],
      ['t1', 'teammate'],
    ]);
    const actor = w.principal('a1');
    await changeMemberStatus(w.deps, { actor, workspaceId: WS, userId: 't1', action: 'suspend' });
    expect(w.member('t1')?.status).toBe('suspended');
    await changeMemberStatus(w.deps, { actor, workspaceId: WS, userId: 't1', action: 'reinstate' });
    expect(w.member('t1')?.status).toBe('active');
    expect(w.state().audits.map((a) => [a.action, a.before, a.after])).toEqual([
      ['member.suspend', { status: 'active' }, { status: 'suspended' }],
      ['member.reinstate', { status: 'suspended' }, { status: 'active' }],
    ]);
    expect(w.events).toHaveLength(2);
  });

  it('§2 nobody suspends themselves; a suspended member cannot be suspended again', async () => {
    const w = world([
      ['o1', 'owner'],
      ['o2', 'owner', 'suspended'],
    ]);
    const actor = w.principal('o1');
    expect(
      await codeOf(
        changeMemberStatus(w.deps, { actor, workspaceId: WS, userId: 'o1', action: 'suspend' }),
      ),
    ).toBe('forbidden');
    expect(
      await codeOf(
        changeMemberStatus(w.deps, { actor, workspaceId: WS, userId: 'o2', action: 'suspend' }),
      ),
    ).toBe('conflict');
    expect(w.state().audits).toEqual([]);
    expect(w.events).toEqual([]);
  });
});

describe('startRevoke', () => {
  it('ends access at once and records the member.revoke job with its audit, in one transaction', async () => {
    const w = world([
      ['o1', 'owner'],
      ['t1', 'teammate'],
      ['g1', 'agent'],
    ]);
    const { jobId } = await startRevoke(w.deps, {
      actor: w.principal('o1'),
      workspaceId: WS,
      userId: 't1',
      reassignTo: 'g1',
    });
    expect(w.member('t1')?.status).toBe('revoked');
    expect(w.state().jobs).toEqual([
      {
        id: jobId,
        workspaceId: WS,
        type: 'member.revoke',
        input: { userId: 't1', reassignTo: 'g1' },
        createdBy: 'o1',
      },
    ]);
    expect(w.state().audits).toMatchObject([
      {
        action: 'member.revoke',
        targetId: 't1',
        before: { status: 'active', role: 'teammate' },
        after: { status: 'revoked', reassignTo: 'g1', jobId },
      },
    ]);
    // After the commit: access changed, and the notice webhooks carry (member.revoked).
    expect(w.events).toEqual([
      { type: 'access.changed', workspaceId: WS },
      {
        type: 'member.revoked',
        workspaceId: WS,
        userId: 't1',
        reassignTo: 'g1',
        jobId,
        revokedAt: NOW.toISOString(),
      },
    ]);
  });

  it.each([
    ['a suspended member', 'g2'],
    ['a revoked member', 'g3'],
    ['a member whose chat.view is none', 'b1'],
    ['someone who is not a member', 'stranger'],
    ['the member being revoked', 't1'],
  ])(
    '§3.2 reassignTo %s cannot be assigned chats: invalid input, no job, access unchanged',
    async (_who, heir) => {
      const w = world([
        ['o1', 'owner'],
        ['t1', 'teammate'],
        ['g2', 'agent', 'suspended'],
        ['g3', 'agent', 'revoked'],
        ['b1', blindRole.id],
      ]);
      const res = await codeOf(
        startRevoke(w.deps, {
          actor: w.principal('o1'),
          workspaceId: WS,
          userId: 't1',
          reassignTo: heir,
        }),
      );
      expect(res).toBe('invalid_input');
      expect(w.member('t1')?.status).toBe('active');
      expect(w.state().jobs).toEqual([]);
      expect(w.events).toEqual([]);
    },
  );

  it('a Collaborator (chat.view "assigned") can be the heir: being assigned is what lets them see', async () => {
    const w = world([
      ['o1', 'owner'],
      ['t1', 'teammate'],
      ['c1', 'collaborator'],
    ]);
    const input = { actor: w.principal('o1'), workspaceId: WS, userId: 't1', reassignTo: 'c1' };
    expect(await codeOf(startRevoke(w.deps, input))).toBe('ok');
  });

  it('§2 who may revoke is decided before whether the heir is valid', async () => {
    const w = world([
      ['o1', 'owner'],
      ['a1', 'admin'],
    ]);
    const input = { actor: w.principal('a1'), workspaceId: WS, userId: 'o1', reassignTo: 'nobody' };
    expect(await codeOf(startRevoke(w.deps, input))).toBe('forbidden');
  });

  it('§2 of two Owners revoking each other, the second is refused: the count is read under lock', async () => {
    const w = world([
      ['o1', 'owner'],
      ['o2', 'owner'],
    ]);
    // Both requests were authenticated while both were Owners.
    const [o1, o2] = [w.principal('o1'), w.principal('o2')];
    const first = await codeOf(startRevoke(w.deps, { actor: o1, workspaceId: WS, userId: 'o2' }));
    const second = await codeOf(startRevoke(w.deps, { actor: o2, workspaceId: WS, userId: 'o1' }));
    expect([first, second]).toEqual(['ok', 'conflict']);
    expect(w.member('o1')?.status).toBe('active');
    expect(w.state().jobs).toHaveLength(1);
  });
});

describe('startBulkReassign', () => {
  it('records the member.reassign job for a suspended member, audited', async () => {
    const w = world([
      ['a1', 'admin'],
      ['t1', 'teammate', 'suspended'],
      ['c1', 'collaborator'],
    ]);
    const { jobId } = await startBulkReassign(w.deps, {
      actor: w.principal('a1'),
      workspaceId: WS,
      userId: 't1',
      to: 'c1',
    });
    expect(w.state().jobs).toEqual([
      {
        id: jobId,
        workspaceId: WS,
        type: 'member.reassign',
        input: { fromUserId: 't1', toUserId: 'c1' },
        createdBy: 'a1',
      },
    ]);
    expect(w.state().audits).toMatchObject([
      { action: 'member.reassign_chats', targetId: 't1', after: { to: 'c1', jobId } },
    ]);
  });

  it.each([
    ['an Agent (no users.manage) asks', 'g1', 't1', undefined, 'forbidden'],
    ['the member is active, not suspended', 'a1', 'g1', undefined, 'conflict'],
    ['the member does not exist', 'a1', 'nobody', undefined, 'not_found'],
    ['§3.2 `to` cannot be assigned chats (chat.view none)', 'a1', 't1', 'b1', 'invalid_input'],
    ['§3.2 `to` is suspended', 'a1', 't1', 't1', 'invalid_input'],
  ])('refused when %s; no job', async (_why, actor, userId, to, code) => {
    const w = world([
      ['a1', 'admin'],
      ['g1', 'agent'],
      ['t1', 'teammate', 'suspended'],
      ['b1', blindRole.id],
    ]);
    const input = {
      actor: w.principal(actor),
      workspaceId: WS,
      userId,
      ...(to !== undefined ? { to } : {}),
    };
    expect(await codeOf(startBulkReassign(w.deps, input))).toBe(code);
    expect(w.state().jobs).toEqual([]);
  });
});

describe('member list export and job visibility (PRODUCT.md §2)', () => {
  it('exporting the member list needs users.manage and data.export (noDataExport withholds it)', async () => {
    const w = world([
      ['a1', 'admin'],
      ['a2', 'admin'],
      ['t1', 'teammate'],
    ]);
    w.meanwhile('a2', { restrictions: { noDataExport: true } });
    expect(
      await codeOf(Promise.resolve().then(() => assertMayExportMembers(w.principal('a1')))),
    ).toBe('ok');
    expect(
      await codeOf(Promise.resolve().then(() => assertMayExportMembers(w.principal('a2')))),
    ).toBe('forbidden');
    expect(
      await codeOf(Promise.resolve().then(() => assertMayExportMembers(w.principal('t1')))),
    ).toBe('forbidden');
  });

  it('a job is followed by whoever started it and by those who manage users', () => {
    const w = world([
      ['a1', 'admin'],
      ['t1', 'teammate'],
    ]);
    expect(mayFollowJob(w.principal('t1'), { createdBy: 't1' })).toBe(true);
    expect(mayFollowJob(w.principal('t1'), { createdBy: 'a1' })).toBe(false);
    expect(mayFollowJob(w.principal('a1'), { createdBy: null })).toBe(true);
  });
});

describe('inviteMember', () => {
  const invite = { email: 'new@t.test', name: 'New', teamIds: ['team_active'], restrictions: {} };

  it('stores a pending invitation (only the token’s hash), replacing a pending one to the same address', async () => {
    const w = world([['o1', 'owner']]);
    const actor = w.principal('o1');
    const first = await inviteMember(w.deps, { actor, workspaceId: WS, role: 'agent', ...invite });
    const second = await inviteMember(w.deps, { actor, workspaceId: WS, role: 'admin', ...invite });
    expect(second).toMatchObject({ email: 'new@t.test', role: 'admin' });
    expect(w.state().invitations.map((i) => [i.id, i.status, i.role])).toEqual([
      [first.id, 'cancelled', 'agent'],
      [second.id, 'pending', 'admin'],
    ]);
    const stored = w.state().invitations[1];
    expect(stored?.tokenHash.equals(hashToken(second.token))).toBe(true);
    expect(stored?.expiresAt.getTime()).toBe(NOW.getTime() + 7 * 24 * 3600 * 1000);
    expect(w.state().audits.map((a) => [a.action, a.targetType, a.targetId])).toEqual([
      ['member.invite', 'invitation', first.id],
      ['member.invite', 'invitation', second.id],
    ]);
  });

  it.each([
    ['§2 an Admin invites an Owner', 'a1', { role: 'owner' }, 'forbidden'],
    ['§2 a Teammate invites anyone', 't1', { role: 'agent' }, 'forbidden'],
    ['the role is unknown', 'o1', { role: 'role_x' }, 'invalid_input'],
    [
      'a team is not an active one',
      'o1',
      { role: 'agent', teamIds: ['team_gone'] },
      'invalid_input',
    ],
    ['the address is a member’s', 'o1', { role: 'agent', email: emailOf('t1') }, 'conflict'],
  ])('refused when %s; nothing stored', async (_why, actor, change, code) => {
    const w = world([
      ['o1', 'owner'],
      ['a1', 'admin'],
      ['t1', 'teammate', 'suspended'],
    ]);
    const input = { actor: w.principal(actor), workspaceId: WS, ...invite, ...change };
    expect(await codeOf(inviteMember(w.deps, input))).toBe(code);
    expect(w.state().invitations).toEqual([]);
    expect(w.state().audits).toEqual([]);
  });

  it('a revoked member may be invited again', async () => {
    const w = world([
      ['o1', 'owner'],
      ['g1', 'agent', 'revoked'],
    ]);
    const input = { actor: w.principal('o1'), workspaceId: WS, ...invite, role: 'agent' };
    expect(await codeOf(inviteMember(w.deps, { ...input, email: emailOf('g1') }))).toBe('ok');
  });
});

describe('acceptInvitation', () => {
  const invited = async (w: ReturnType<typeof world>, email = 'new@t.test') =>
    inviteMember(w.deps, {
      actor: w.principal('o1'),
      workspaceId: WS,
      email,
      name: 'New',
      role: 'teammate',
      teamIds: [],
      restrictions: { noDataExport: true },
    });

  it('the person joins with the invitation’s role and restrictions, gets a token, once', async () => {
    const w = world([['o1', 'owner']]);
    const { token } = await invited(w);
    const accepted = await acceptInvitation(w.deps, { token });
    expect(accepted).toEqual({
      user: { id: 'new', email: 'new@t.test', name: 'New' },
      workspaceId: WS,
      token: 'sbu_new',
    });
    expect(w.member('new')).toMatchObject({
      role: 'teammate',
      status: 'active',
      restrictions: { noDataExport: true },
    });
    expect(w.state().audits.at(-1)).toMatchObject({
      action: 'member.join',
      actorUserId: 'new',
      after: { role: 'teammate' },
    });
    expect(w.events).toEqual([{ type: 'access.changed', workspaceId: WS }]);
    expect(await codeOf(acceptInvitation(w.deps, { token }))).toBe('conflict');
  });

  it('an unknown or replaced invitation does not exist; an expired one is a conflict', async () => {
    const w = world([['o1', 'owner']]);
    expect(await codeOf(acceptInvitation(w.deps, { token: 'sbi_unknown' }))).toBe('not_found');
    const replaced = await invited(w);
    await invited(w);
    expect(await codeOf(acceptInvitation(w.deps, { token: replaced.token }))).toBe('not_found');
    const later = { ...w.deps, now: () => new Date(NOW.getTime() + 8 * 24 * 3600 * 1000) };
    const { token } = await invited(w, 'late@t.test');
    expect(await codeOf(acceptInvitation(later, { token }))).toBe('conflict');
    expect(w.member('late')).toBeUndefined();
  });
});
