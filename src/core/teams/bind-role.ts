import {
  buildPrincipal,
  requirePermission,
  type AccessFactsSource,
  type Principal,
} from '../access/index.js';
import { AppError } from '../errors.js';
import type { EventPublisher } from '../events/events.js';
import { commitAccessChange } from '../commit-access-change.js';
import type { BindingRecord, TeamsStore } from './teams-store.js';

/**
 * Binds a custom role to a user or a whole team (the broadest role that reaches a user wins;
 * a team binding reaches its sub-teams). Needs permissions.edit. Built-in roles are given as
 * a member's role, not bound. Nobody changes their own access (PRODUCT.md §2): a binding that
 * would change the actor's own levels is refused; another admin must make it.
 */
export interface BindRoleInput {
  actor: Principal;
  workspaceId: string;
  roleId: string;
  subject: { type: 'user' | 'team'; id: string };
}

export interface BindRoleDeps {
  store: TeamsStore;
  access: AccessFactsSource;
  events: EventPublisher;
}

export async function bindRole(deps: BindRoleDeps, input: BindRoleInput): Promise<BindingRecord> {
  const { actor, workspaceId, roleId, subject } = input;
  requirePermission(actor, 'permissions.edit');
  const facts = await deps.access.workspaceAccess(workspaceId);
  if (!facts.customRoles.some((c) => c.id === roleId)) {
    throw new AppError('invalid_input', 'no such custom role', {
      details: [
        {
          path: 'body.roleId',
          message: 'built-in roles are given as a member’s role; bind custom roles',
        },
      ],
    });
  }
  const exists =
    subject.type === 'user'
      ? facts.members.some((m) => m.userId === subject.id && m.status !== 'revoked')
      : facts.teams.some((t) => t.id === subject.id && t.status !== 'deleted');
  if (!exists) {
    throw new AppError('invalid_input', `no such ${subject.type}`, {
      details: [{ path: 'body.subject.id', message: `not a ${subject.type} of this workspace` }],
    });
  }
  const after = buildPrincipal(
    { ...facts, bindings: [...facts.bindings, { id: 'new', roleId, subject }] },
    actor.userId,
  );
  if (after && JSON.stringify(after.levels) !== JSON.stringify(actor.levels)) {
    throw new AppError(
      'forbidden',
      'this binding would change your own access: another admin must make it',
    );
  }
  return commitAccessChange(deps, workspaceId, async (tx) => {
    const binding = await tx.insertBinding({
      workspaceId,
      roleId,
      subject,
      createdBy: actor.userId,
    });
    if (!binding) throw new AppError('conflict', 'that binding exists');
    return {
      result: binding,
      audit: {
        workspaceId,
        actorUserId: actor.userId,
        action: 'role.bind',
        targetType: 'role_binding',
        targetId: binding.id,
        after: { roleId, subject },
      },
    };
  });
}
