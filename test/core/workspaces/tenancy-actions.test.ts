import { describe, expect, it } from 'vitest';
import {
  buildPrincipal,
  type AccessFactsSource,
  type MemberFacts,
  type WorkspaceAccessFacts,
} from '../../../src/core/access/index.js';
import { isAppError } from '../../../src/core/errors.js';
import { createOrganization } from '../../../src/core/workspaces/create-organization.js';
import { createWorkspace } from '../../../src/core/workspaces/create-workspace.js';
import { getWorkspace } from '../../../src/core/workspaces/get-workspace.js';
import type {
  WorkspaceRecord,
  WorkspacesAuditEntry,
  WorkspacesStore,
} from '../../../src/core/workspaces/workspaces-store.js';

/**
 * Organizations and workspaces against in-memory fakes of their ports. The fake store
 * commits a transaction's writes only when its work succeeds; access facts are per workspace.
 */
interface State {
  organizations: Array<{ id: string; name: string; createdAt: Date }>;
  workspaces: WorkspaceRecord[];
  users: Array<{ id: string; email: string; name: string }>;
  orgMembers: Array<{ organizationId: string; userId: string }>;
  members: Array<{ workspaceId: string } & MemberFacts>;
  tokens: Array<{ userId: string; token: string }>;
  audits: WorkspacesAuditEntry[];
}

const clone = (s: State): State => ({
  organizations: [...s.organizations],
  workspaces: [...s.workspaces],
  users: [...s.users],
  orgMembers: [...s.orgMembers],
  members: [...s.members],
  tokens: [...s.tokens],
  audits: [...s.audits],
});

const at = new Date('2026-01-01T00:00:00Z');

function world() {
  const member = (
    workspaceId: string,
    userId: string,
    role: string,
    status: MemberFacts['status'] = 'active',
  ) => ({ workspaceId, userId, name: userId, role, status, restrictions: {} });
  let state: State = {
    organizations: [{ id: 'acme', name: 'Acme', createdAt: at }],
    workspaces: [
      { id: 'acme-1', organizationId: 'acme', name: 'One', createdAt: at },
      { id: 'acme-2', organizationId: 'acme', name: 'Two', createdAt: at },
    ],
    users: [
      { id: 'olga', email: 'olga@acme.test', name: 'Olga' },
      { id: 'alex', email: 'alex@acme.test', name: 'Alex' },
      { id: 'sue', email: 'sue@acme.test', name: 'Sue' },
    ],
    orgMembers: [],
    members: [
      // Olga: an Agent in one workspace, the Owner of the other.
      member('acme-1', 'olga', 'agent'),
      member('acme-2', 'olga', 'owner'),
      member('acme-1', 'alex', 'agent'),
      // Sue was an Owner, and is suspended.
      member('acme-2', 'sue', 'owner', 'suspended'),
    ],
    tokens: [],
    audits: [],
  };
  const facts = (workspaceId: string): WorkspaceAccessFacts => ({
    workspaceId,
    members: state.members
      .filter((m) => m.workspaceId === workspaceId)
      .map(({ workspaceId: _w, ...m }) => m),
    teams: [],
    teamMembers: [],
    customRoles: [],
    bindings: [],
  });
  const access: AccessFactsSource = {
    workspaceAccess: (workspaceId) => Promise.resolve(facts(workspaceId)),
    chatFacts: () => Promise.resolve([]),
  };
  let seq = 0;
  const store: WorkspacesStore = {
    async transaction(work) {
      const d = clone(state);
      const result = await work({
        insertOrganization: ({ name }) => {
          const o = { id: `org${++seq}`, name, createdAt: at };
          d.organizations.push(o);
          return Promise.resolve(o);
        },
        insertWorkspace: ({ organizationId, name }) => {
          const w = { id: `ws${++seq}`, organizationId, name, createdAt: at };
          d.workspaces.push(w);
          return Promise.resolve(w);
        },
        findOrCreateUser: ({ email, name }) => {
          let u = d.users.find((x) => x.email === email);
          if (!u) d.users.push((u = { id: `usr${++seq}`, email, name }));
          return Promise.resolve(u);
        },
        joinOrganization: (organizationId, userId) => {
          d.orgMembers.push({ organizationId, userId });
          return Promise.resolve();
        },
        addOwner: (workspaceId, userId) => {
          d.members.push(member(workspaceId, userId, 'owner'));
          return Promise.resolve();
        },
        issueToken: (userId) => {
          const token = `sbu_${++seq}`;
          d.tokens.push({ userId, token });
          return Promise.resolve(token);
        },
        audit: (entry) => {
          d.audits.push(entry);
          return Promise.resolve();
        },
      });
      state = d;
      return result;
    },
    memberWorkspaceIds: (organizationId, userId) =>
      Promise.resolve(
        state.members
          .filter(
            (m) =>
              m.userId === userId &&
              m.status === 'active' &&
              state.workspaces.some(
                (w) => w.id === m.workspaceId && w.organizationId === organizationId,
              ),
          )
          .map((m) => m.workspaceId),
      ),
    findWorkspace: (workspaceId) =>
      Promise.resolve(state.workspaces.find((w) => w.id === workspaceId)),
  };
  const user = (id: string) => {
    const u = state.users.find((x) => x.id === id);
    if (!u) throw new Error(id);
    return u;
  };
  const principal = (workspaceId: string, userId: string) => {
    const p = buildPrincipal(facts(workspaceId), userId);
    if (!p) throw new Error(userId);
    return p;
  };
  return { deps: { store, access }, state: () => state, user, principal };
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

describe('createOrganization', () => {
  it('creates the organization, its first workspace and Owner with a token, audited as the platform', async () => {
    const w = world();
    const created = await createOrganization(w.deps, {
      actor: { type: 'platform' },
      name: 'Globex',
      workspace: { name: 'HQ' },
      owner: { email: 'hank@globex.test', name: 'Hank' },
    });
    expect(created.workspace.organizationId).toBe(created.organization.id);
    expect(w.state().members).toContainEqual(
      expect.objectContaining({
        workspaceId: created.workspace.id,
        userId: created.owner.id,
        role: 'owner',
        status: 'active',
      }),
    );
    expect(w.state().tokens).toEqual([{ userId: created.owner.id, token: created.token }]);
    expect(w.state().audits).toEqual([
      expect.objectContaining({ action: 'organization.create', actorUserId: null }),
    ]);
  });

  it('a known email’s user becomes the Owner: one person across organizations', async () => {
    const w = world();
    const created = await createOrganization(w.deps, {
      actor: { type: 'platform' },
      name: 'Globex',
      workspace: { name: 'HQ' },
      owner: { email: 'olga@acme.test', name: 'Someone else' },
    });
    expect(created.owner).toEqual(w.user('olga'));
    expect(w.state().orgMembers).toEqual([
      { organizationId: created.organization.id, userId: 'olga' },
    ]);
  });

  it('only the platform creates organizations; blank names are invalid input; nothing written', async () => {
    const w = world();
    const input = {
      name: 'Globex',
      workspace: { name: 'HQ' },
      owner: { email: 'hank@globex.test', name: 'Hank' },
    };
    expect(
      await refusal(
        // @ts-expect-error: a member is not the platform, as a careless adapter might pass
        createOrganization(w.deps, { ...input, actor: { type: 'user' } }),
      ),
    ).toBe('unauthorized');
    expect(
      await refusal(
        createOrganization(w.deps, { ...input, actor: { type: 'platform' }, name: '  ' }),
      ),
    ).toBe('invalid_input');
    expect(w.state().organizations).toHaveLength(1);
  });
});

describe('createWorkspace', () => {
  it('an Owner of any workspace of the organization creates another, and owns it', async () => {
    const w = world();
    const created = await createWorkspace(w.deps, {
      actor: w.user('olga'),
      organizationId: 'acme',
      name: 'Three',
    });
    expect(created).toMatchObject({ organizationId: 'acme', name: 'Three' });
    expect(w.principal(created.id, 'olga').role).toBe('owner');
    expect(w.state().audits).toEqual([
      expect.objectContaining({
        action: 'workspace.create',
        actorUserId: 'olga',
        organizationId: 'acme',
        workspaceId: created.id,
      }),
    ]);
  });

  it('a member who is no Owner anywhere in it is refused (workspace.manage); nothing written', async () => {
    const w = world();
    expect(
      await refusal(
        createWorkspace(w.deps, { actor: w.user('alex'), organizationId: 'acme', name: 'X' }),
      ),
    ).toBe('forbidden');
    expect(w.state().workspaces).toHaveLength(2);
  });

  it('an organization the user is no active member of is not found: a stranger, or a suspended Owner', async () => {
    const w = world();
    for (const [userId, organizationId] of [
      ['olga', 'globex'],
      ['sue', 'acme'],
    ] as const) {
      expect(
        await refusal(
          createWorkspace(w.deps, { actor: w.user(userId), organizationId, name: 'X' }),
        ),
      ).toBe('not_found');
    }
    expect(w.state().workspaces).toHaveLength(2);
  });

  it('a blank name is invalid input', async () => {
    const w = world();
    expect(
      await refusal(
        createWorkspace(w.deps, { actor: w.user('olga'), organizationId: 'acme', name: ' ' }),
      ),
    ).toBe('invalid_input');
  });
});

describe('getWorkspace', () => {
  it('a member reads their workspace; a principal of another workspace finds nothing', async () => {
    const w = world();
    const olga = w.principal('acme-1', 'olga');
    expect(await getWorkspace(w.deps, { actor: olga, workspaceId: 'acme-1' })).toMatchObject({
      id: 'acme-1',
      name: 'One',
    });
    expect(await refusal(getWorkspace(w.deps, { actor: olga, workspaceId: 'acme-2' }))).toBe(
      'not_found',
    );
  });
});
