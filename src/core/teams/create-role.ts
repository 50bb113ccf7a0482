import {
  requirePermission,
  validateRolePermissions,
  type AccessFactsSource,
  type Principal,
} from '../access/index.js';
import { AppError } from '../errors.js';
import type { RoleRecord, TeamsStore } from './teams-store.js';

/**
 * Defines a custom role: a level per permission, checked against the dependency rules (no
 * edit, connect, reply, join or rate above view; `validateRolePermissions`). Needs
 * permissions.edit; names are unique per workspace, whatever their case. An unbound role
 * reaches nobody, so nobody's access changes until it is bound (`bind-role.ts`).
 */
export interface CreateRoleInput {
  actor: Principal;
  workspaceId: string;
  name: string;
  permissions: Record<string, string>;
}

export interface CreateRoleDeps {
  store: TeamsStore;
  access: AccessFactsSource;
}

export async function createRole(
  deps: CreateRoleDeps,
  input: CreateRoleInput,
): Promise<RoleRecord> {
  const { actor, workspaceId, name } = input;
  requirePermission(actor, 'permissions.edit');
  const permissions = validateRolePermissions(input.permissions);
  const facts = await deps.access.workspaceAccess(workspaceId);
  if (facts.customRoles.some((c) => c.name.toLowerCase() === name.toLowerCase())) {
    throw new AppError('conflict', `a role named ${name} exists`);
  }
  return deps.store.transaction(async (tx) => {
    const role = await tx.insertRole({ workspaceId, name, permissions });
    await tx.audit({
      workspaceId,
      actorUserId: actor.userId,
      action: 'role.create',
      targetType: 'role',
      targetId: role.id,
      after: { name: role.name, permissions },
    });
    return role;
  });
}
