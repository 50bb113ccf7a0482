import { AppError } from '../errors.js';
import type { Principal } from '../access/index.js';
import { newToken } from '../tokens.js';
import { assertMayGrantRole } from '../access/member-rules.js';
import type { InvitationTerms, PeopleStore } from './people-store.js';

/**
 * Invites someone to the workspace (`POST …/invitations`): pending until accepted, with the
 * role, teams and restrictions they will have. Owners invite every role, Admins every role but
 * Owner (PRODUCT.md §2); someone already a member (active or suspended) is a conflict. A newer
 * invitation to the same address replaces a pending one. The invitation token is returned
 * once; only its hash is stored.
 */
export interface InviteMemberInput extends InvitationTerms {
  actor: Principal;
  workspaceId: string;
}

export interface InviteMemberDeps {
  store: PeopleStore;
  now(): Date;
}

/** How long an invitation may be accepted. */
export const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;

export async function inviteMember(
  deps: InviteMemberDeps,
  input: InviteMemberInput,
): Promise<{ id: string; email: string; role: string; token: string }> {
  const { actor, workspaceId, email, role, teamIds, restrictions } = input;
  assertMayGrantRole(actor, role);
  const { token, hash } = newToken('invitation');
  const id = await deps.store.transaction(async (tx) => {
    if (!(await tx.roleExists(workspaceId, role))) {
      throw new AppError('invalid_input', 'unknown role', {
        details: [
          { path: 'body.role', message: 'not a built-in role or a custom role of this workspace' },
        ],
      });
    }
    const active = teamIds.length ? await tx.activeTeamIds(workspaceId, teamIds) : [];
    const missing = teamIds.filter((t) => !active.includes(t));
    if (missing.length) {
      throw new AppError('invalid_input', 'unknown team', {
        details: missing.map((t) => ({ path: 'body.teamIds', message: `no active team ${t}` })),
      });
    }
    const existing = await tx.memberStatusByEmail(workspaceId, email);
    if (existing && existing !== 'revoked') {
      throw new AppError('conflict', `${email} is already a member (${existing})`);
    }
    const id = await tx.replaceInvitation({
      workspaceId,
      email,
      name: input.name,
      role,
      teamIds,
      restrictions,
      tokenHash: hash,
      invitedBy: actor.userId,
      expiresAt: new Date(deps.now().getTime() + INVITATION_TTL_MS),
    });
    await tx.audit({
      workspaceId,
      actorUserId: actor.userId,
      action: 'member.invite',
      targetType: 'invitation',
      targetId: id,
      after: { email, role, teamIds, restrictions },
    });
    return id;
  });
  return { id, email, role, token };
}
