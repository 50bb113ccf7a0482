import { AppError } from '../errors.js';
import type {
  OrganizationRecord,
  UserRecord,
  WorkspaceRecord,
  WorkspacesStore,
} from './workspaces-store.js';

/**
 * The platform operator, authenticated by the platform token: the only actor that creates
 * organizations, and one that can do nothing else (shared/API.md, "Conventions").
 */
export interface PlatformActor {
  type: 'platform';
}

/**
 * Creates an organization with its first workspace and that workspace's Owner (an existing
 * user of that email, or a new one), who gets a bearer token — shown here, once. Everything
 * is one transaction, audited as the platform's act.
 */
export interface CreateOrganizationInput {
  actor: PlatformActor;
  name: string;
  workspace: { name: string };
  owner: { email: string; name: string };
}

export interface CreateOrganizationDeps {
  store: WorkspacesStore;
}

export interface CreatedOrganization {
  organization: OrganizationRecord;
  workspace: WorkspaceRecord;
  owner: UserRecord;
  token: string;
}

const blank = (s: string) => s.trim().length === 0;

export async function createOrganization(
  deps: CreateOrganizationDeps,
  input: CreateOrganizationInput,
): Promise<CreatedOrganization> {
  if (input.actor.type !== 'platform')
    throw new AppError('unauthorized', 'this needs the platform token');
  const details = [
    ...(blank(input.name) ? [{ path: 'body.name', message: 'required' }] : []),
    ...(blank(input.workspace.name) ? [{ path: 'body.workspace.name', message: 'required' }] : []),
    ...(blank(input.owner.email) ? [{ path: 'body.owner.email', message: 'required' }] : []),
  ];
  if (details.length) throw new AppError('invalid_input', 'names may not be blank', { details });
  return deps.store.transaction(async (tx) => {
    const organization = await tx.insertOrganization({ name: input.name });
    const workspace = await tx.insertWorkspace({
      organizationId: organization.id,
      name: input.workspace.name,
    });
    const owner = await tx.findOrCreateUser(input.owner);
    await tx.joinOrganization(organization.id, owner.id);
    await tx.addOwner(workspace.id, owner.id);
    const token = await tx.issueToken(owner.id, 'owner');
    await tx.audit({
      organizationId: organization.id,
      workspaceId: workspace.id,
      actorUserId: null,
      action: 'organization.create',
      targetType: 'organization',
      targetId: organization.id,
      after: { name: organization.name, workspace: workspace.name, owner: owner.email },
    });
    return { organization, workspace, owner, token };
  });
}
