import {
  buildPrincipal,
  requireOrganizationPermission,
  type AccessFactsSource,
  type Principal,
} from '../access/index.js';
import { AppError } from '../errors.js';
import type { ActingUser } from '../identity/resolve-member.js';
import type { WorkspaceRecord, WorkspacesStore } from './workspaces-store.js';

/**
 * Creates another workspace in an organization. The account is managed by an Owner of any of
 * its workspaces (`workspace.manage`, decided by `requireOrganizationPermission`); an
 * organization the user is no active member of is not found. The creator becomes the new
 * workspace's Owner, in the same transaction as the workspace and its audit entry.
 */
export interface CreateWorkspaceInput {
  /** The authenticated user: not yet a member of the workspace they create. */
  actor: ActingUser;
  organizationId: string;
  name: string;
}

export interface CreateWorkspaceDeps {
  store: WorkspacesStore;
  access: AccessFactsSource;
}

export async function createWorkspace(
  deps: CreateWorkspaceDeps,
  input: CreateWorkspaceInput,
): Promise<WorkspaceRecord> {
  const { actor, organizationId } = input;
  const workspaceIds = await deps.store.memberWorkspaceIds(organizationId, actor.id);
  const principals = (
    await Promise.all(
      workspaceIds.map(async (id) =>
        buildPrincipal(await deps.access.workspaceAccess(id), actor.id),
      ),
    )
  ).filter((p): p is Principal => p !== undefined);
  requireOrganizationPermission(principals, 'workspace.manage');
  if (input.name.trim().length === 0) {
    throw new AppError('invalid_input', 'a workspace needs a name', {
      details: [{ path: 'body.name', message: 'required' }],
    });
  }
  return deps.store.transaction(async (tx) => {
    const workspace = await tx.insertWorkspace({ organizationId, name: input.name });
    await tx.addOwner(workspace.id, actor.id);
    await tx.audit({
      organizationId,
      workspaceId: workspace.id,
      actorUserId: actor.id,
      action: 'workspace.create',
      targetType: 'workspace',
      targetId: workspace.id,
      after: { name: workspace.name },
    });
    return workspace;
  });
}
