import { buildPrincipal, type AccessFactsSource, type PermissionLevels } from '../access/index.js';
import { AppError } from '../errors.js';
import { newToken } from '../tokens.js';
import type { AccountStore, MyWorkspace, TokenRecord } from './account-store.js';
import type { ActingUser } from './resolve-member.js';

/**
 * A user's own account (issue 22): who they are and where they are a member, and their API
 * tokens — listed (never the secret), created (the secret shown once), revoked. Acting on
 * one's own account needs no permission beyond being that user (`resolveUser`); a revoked
 * token is refused from the next request on, on every node (tokens are looked up per request,
 * never cached).
 */
export async function describeMe(
  deps: { store: AccountStore; access: AccessFactsSource },
  input: { user: ActingUser },
): Promise<{
  user: ActingUser;
  workspaces: Array<MyWorkspace & { permissions: Partial<PermissionLevels> }>;
}> {
  const workspaces = await deps.store.workspacesOf(input.user.id);
  return {
    user: input.user,
    // What each workspace lets them do, from the policy (a page shows only what it allows).
    workspaces: await Promise.all(
      workspaces.map(async (w) => ({
        ...w,
        permissions:
          buildPrincipal(await deps.access.workspaceAccess(w.id), input.user.id)?.levels ?? {},
      })),
    ),
  };
}

export function listMyTokens(
  deps: { store: AccountStore },
  input: { user: ActingUser },
): Promise<TokenRecord[]> {
  return deps.store.tokensOf(input.user.id);
}

export async function createMyToken(
  deps: { store: AccountStore },
  input: { user: ActingUser; name?: string },
): Promise<TokenRecord & { token: string }> {
  const { token, hash } = newToken('user');
  const record = await deps.store.insertToken(input.user.id, input.name ?? 'API token', hash);
  return { ...record, token };
}

export async function revokeMyToken(
  deps: { store: AccountStore; now(): Date },
  input: { user: ActingUser; tokenId: string },
): Promise<void> {
  if (!(await deps.store.revokeToken(input.user.id, input.tokenId, deps.now()))) {
    throw new AppError('not_found', 'no such token');
  }
}
