import { describe, expect, it } from 'vitest';
import type { AccessFactsSource, WorkspaceAccessFacts } from '../../../src/core/access/index.js';
import { isAppError } from '../../../src/core/errors.js';
import {
  resolveMember,
  type ActingUser,
  type IdentityDirectory,
  type WhoActs,
} from '../../../src/core/identity/resolve-member.js';
import { hashToken } from '../../../src/core/tokens.js';

/**
 * Who is acting (issue 18, identity apart from HTTP): a bearer token and a user an adapter
 * identified otherwise (a Slack user, a CRM-named user) resolve to the same principal, and a
 * suspended, revoked or foreign user is refused the same way by either.
 */
const WS = 'ws';
const users: ActingUser[] = ['alice', 'sam', 'rex', 'olga'].map((id) => ({
  id,
  email: `${id}@t.test`,
  name: id,
}));
const tokenOf = (userId: string) => `sbu_${userId}_token`;

const facts: WorkspaceAccessFacts = {
  workspaceId: WS,
  members: [
    { userId: 'alice', name: 'alice', role: 'teammate', status: 'active', restrictions: {} },
    { userId: 'sam', name: 'sam', role: 'admin', status: 'suspended', restrictions: {} },
    { userId: 'rex', name: 'rex', role: 'agent', status: 'revoked', restrictions: {} },
  ],
  teams: [{ id: 'sales', name: 'Sales', parentId: null, status: 'active' }],
  teamMembers: [{ teamId: 'sales', userId: 'alice' }],
  customRoles: [],
  bindings: [],
};

const identity: IdentityDirectory = {
  userByTokenHash: (hash) =>
    Promise.resolve(users.find((u) => hashToken(tokenOf(u.id)).equals(hash))),
  userById: (id) => Promise.resolve(users.find((u) => u.id === id)),
  userByEmail: (email) => Promise.resolve(users.find((u) => u.email === email.toLowerCase())),
};
const access: AccessFactsSource = {
  workspaceAccess: (workspaceId) =>
    workspaceId === WS
      ? Promise.resolve(facts)
      : Promise.resolve({ ...facts, workspaceId, members: [], teams: [], teamMembers: [] }),
  chatFacts: () => Promise.resolve([]),
};
const deps = { identity, access };

async function outcome(who: WhoActs, workspaceId = WS) {
  try {
    const { user, principal } = await resolveMember(deps, who, workspaceId);
    return { user, principal };
  } catch (error) {
    if (isAppError(error)) return { code: error.code, message: error.message };
    throw error;
  }
}

describe('resolveMember', () => {
  it('a bearer token and a user id resolve to the same principal', async () => {
    const byToken = await outcome({ token: tokenOf('alice') });
    const byUser = await outcome({ userId: 'alice' });
    const byEmail = await outcome({ email: 'Alice@T.test' });
    expect(byToken).toHaveProperty('principal');
    expect(byToken).toEqual(byUser);
    expect(byEmail).toEqual(byUser);
    expect(byToken).toMatchObject({ principal: { userId: 'alice', role: 'teammate' } });
  });

  it('§2 a suspended member is refused, revoked and non-members are not found — the same way either way in', async () => {
    for (const [userId, code] of [
      ['sam', 'forbidden'],
      ['rex', 'not_found'],
      ['olga', 'not_found'],
    ] as const) {
      const byToken = await outcome({ token: tokenOf(userId) });
      expect(byToken, userId).toMatchObject({ code });
      expect(await outcome({ userId })).toEqual(byToken);
      expect(await outcome({ email: `${userId}@t.test` })).toEqual(byToken);
    }
    // Another workspace's member: not found, never forbidden.
    expect(await outcome({ userId: 'alice' }, 'ws_other')).toMatchObject({ code: 'not_found' });
  });

  it('a token or a user nobody knows is unauthorized', async () => {
    expect(await outcome({ token: 'sbu_forged' })).toMatchObject({ code: 'unauthorized' });
    expect(await outcome({ userId: 'nobody' })).toMatchObject({ code: 'unauthorized' });
    expect(await outcome({ email: 'nobody@t.test' })).toMatchObject({ code: 'unauthorized' });
  });
});
