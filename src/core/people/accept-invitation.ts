import { AppError } from '../errors.js';
import type { EventPublisher } from '../events/events.js';
import { hashToken } from '../tokens.js';
import type { PeopleStore, PersonRecord } from './people-store.js';

/**
 * Accepts an invitation (`POST /v1/invitations/accept`; the invitation token is the
 * credential): the person (one user across organizations, created if new) joins the
 * workspace with the invitation's role, teams and restrictions, and gets a bearer token,
 * shown once. The invitation is locked while this runs, so it is accepted once; a cancelled
 * one does not exist, an accepted or expired one is a conflict.
 */
export interface AcceptInvitationInput {
  token: string;
}

export interface AcceptInvitationDeps {
  store: PeopleStore;
  events: EventPublisher;
  now(): Date;
}

export async function acceptInvitation(
  deps: AcceptInvitationDeps,
  input: AcceptInvitationInput,
): Promise<{ user: PersonRecord; workspaceId: string; token: string }> {
  const accepted = await deps.store.transaction(async (tx) => {
    const invitation = await tx.lockInvitation(hashToken(input.token));
    if (!invitation || invitation.status === 'cancelled')
      throw new AppError('not_found', 'no such invitation');
    if (invitation.status === 'accepted')
      throw new AppError('conflict', 'the invitation was already accepted');
    if (invitation.expiresAt.getTime() <= deps.now().getTime())
      throw new AppError('conflict', 'the invitation has expired');
    const person = await tx.findOrCreateUser(invitation);
    await tx.joinWorkspace(invitation, person.id);
    await tx.markInvitationAccepted(invitation.id, deps.now());
    const token = await tx.issueToken(person.id, 'invitation');
    await tx.audit({
      workspaceId: invitation.workspaceId,
      actorUserId: person.id,
      action: 'member.join',
      targetType: 'member',
      targetId: person.id,
      after: { role: invitation.role, invitationId: invitation.id },
    });
    return {
      user: { id: person.id, email: person.email, name: person.name },
      workspaceId: invitation.workspaceId,
      token,
    };
  });
  await deps.events.publish({ type: 'access.changed', workspaceId: accepted.workspaceId });
  return accepted;
}
