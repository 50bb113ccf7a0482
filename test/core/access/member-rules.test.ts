import { describe, expect, it } from 'vitest';
import { buildPrincipal, type WorkspaceAccessFacts } from '../../../src/core/access/index.js';
import { assertMayActOnMember, assertMayGrantRole } from '../../../src/core/access/member-rules.js';

const facts: WorkspaceAccessFacts = {
  workspaceId: 'ws',
  members: [
    { userId: 'o1', name: 'Olga', status: 'active', role: 'owner', restrictions: {} },
    { userId: 'o2', name: 'Otto', status: 'active', role: 'owner', restrictions: {} },
    { userId: 'a1', name: 'Adam', status: 'active', role: 'admin', restrictions: {} },
    { userId: 'a2', name: 'Anna', status: 'active', role: 'admin', restrictions: {} },
    { userId: 't1', name: 'Tina', status: 'active', role: 'teammate', restrictions: {} },
  ],
  teams: [],
  teamMembers: [],
  customRoles: [],
  bindings: [],
};
const p = (id: string) => {
  const principal = buildPrincipal(facts, id);
  if (!principal) throw new Error(id);
  return principal;
};
const code = (fn: () => void) => {
  try {
    fn();
    return 'allowed';
  } catch (error) {
    return (error as { code: string }).code;
  }
};

describe('PRODUCT.md §2 member rules', () => {
  it('Owners grant every role; Admins every role but Owner; others none', () => {
    for (const role of ['owner', 'admin', 'teammate', 'agent', 'collaborator', 'role_custom']) {
      expect(
        code(() => assertMayGrantRole(p('o1'), role)),
        role,
      ).toBe('allowed');
      expect(
        code(() => assertMayGrantRole(p('a1'), role)),
        role,
      ).toBe(role === 'owner' ? 'forbidden' : 'allowed');
      expect(
        code(() => assertMayGrantRole(p('t1'), role)),
        role,
      ).toBe('forbidden');
    }
  });

  it('the last active Owner can never be removed or demoted', () => {
    const last = { userId: 'o2', role: 'owner', status: 'active' as const };
    for (const action of ['suspend', 'revoke'] as const) {
      expect(
        code(() => assertMayActOnMember(p('o1'), { action, target: last, activeOwnerCount: 1 })),
      ).toBe('conflict');
      expect(
        code(() => assertMayActOnMember(p('o1'), { action, target: last, activeOwnerCount: 2 })),
      ).toBe('allowed');
    }
    expect(
      code(() =>
        assertMayActOnMember(p('o1'), {
          action: 'change_role',
          target: last,
          newRole: 'admin',
          activeOwnerCount: 1,
        }),
      ),
    ).toBe('conflict');
    expect(
      code(() =>
        assertMayActOnMember(p('o1'), {
          action: 'change_role',
          target: last,
          newRole: 'owner',
          activeOwnerCount: 1,
        }),
      ),
    ).toBe('allowed');
  });

  it('nobody changes their own access, whatever their role', () => {
    for (const id of ['o1', 'a1']) {
      for (const action of ['suspend', 'revoke', 'change_role', 'restrict'] as const) {
        const target = {
          userId: id,
          role: id.startsWith('o') ? 'owner' : 'admin',
          status: 'active' as const,
        };
        expect(
          code(() =>
            assertMayActOnMember(p(id), { action, target, newRole: 'agent', activeOwnerCount: 2 }),
          ),
        ).toBe('forbidden');
      }
    }
  });

  it('only an Owner restricts an Admin; revoked is final', () => {
    const admin = { userId: 'a2', role: 'admin', status: 'active' as const };
    expect(
      code(() =>
        assertMayActOnMember(p('a1'), { action: 'restrict', target: admin, activeOwnerCount: 2 }),
      ),
    ).toBe('forbidden');
    expect(
      code(() =>
        assertMayActOnMember(p('o1'), { action: 'restrict', target: admin, activeOwnerCount: 2 }),
      ),
    ).toBe('allowed');
    const revoked = { userId: 't1', role: 'teammate', status: 'revoked' as const };
    expect(
      code(() =>
        assertMayActOnMember(p('o1'), {
          action: 'reinstate',
          target: revoked,
          activeOwnerCount: 2,
        }),
      ),
    ).toBe('conflict');
  });
});
