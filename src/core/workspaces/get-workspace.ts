import type { Principal } from '../access/index.js';
import { AppError } from '../errors.js';
import type { WorkspaceRecord, WorkspacesStore } from './workspaces-store.js';

/**
 * A workspace, to one of its members: the principal is the member, resolved in this very
 * workspace (a principal of another workspace finds nothing).
 */
export interface GetWorkspaceInput {
  actor: Principal;
  workspaceId: string;
}

export interface GetWorkspaceDeps {
  store: WorkspacesStore;
}

export async function getWorkspace(
  deps: GetWorkspaceDeps,
  input: GetWorkspaceInput,
): Promise<WorkspaceRecord> {
  const { actor, workspaceId } = input;
  const workspace =
    actor.workspaceId === workspaceId && actor.status !== 'revoked'
      ? await deps.store.findWorkspace(workspaceId)
      : undefined;
  if (!workspace) throw new AppError('not_found', 'no such workspace');
  return workspace;
}
