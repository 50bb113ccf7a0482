import {
  buildPrincipal,
  type AccessFactsSource,
  type Principal,
  type WorkspaceAccessFacts,
} from '../access/index.js';
import { AppError } from '../errors.js';
import { hashToken } from '../tokens.js';

/**
 * Who is acting, whatever brought the request: a bearer token (REST, the event stream), or a
 * user an adapter has already identified (a Slack user matched by email, a user a signed CRM
 * request names). Each way yields the same principal for the same user, and refuses a
 * suspended or revoked member the same way. Nothing here knows about HTTP, and nothing is
 * recorded: presence ("last seen") is the adapter's business.
 */
export type WhoActs =
  | { token: string }
  /** A user the adapter identified by its own means (a verified signature naming them). */
  | { userId: string }
  /** The user with this email (a Slack user's profile email; a CRM request's named user). */
  | { email: string };

export interface ActingUser {
  id: string;
  email: string;
  name: string;
}

/** Where users and their tokens are kept. */
export interface IdentityDirectory {
  /**
   * The user a token was issued to; undefined when nobody issued it or it was revoked. Given
   * the token's hash: only hashes are stored (`core/tokens.ts`).
   */
  userByTokenHash(tokenHash: Buffer): Promise<ActingUser | undefined>;
  userById(userId: string): Promise<ActingUser | undefined>;
  /** The user with this email (stored lower-case; matched without regard to case). */
  userByEmail(email: string): Promise<ActingUser | undefined>;
}

export interface ResolveMemberDeps {
  identity: IdentityDirectory;
  access: AccessFactsSource;
}

export interface ResolvedMember {
  user: ActingUser;
  principal: Principal;
  facts: WorkspaceAccessFacts;
}

/** The acting user, or `unauthorized` when the credential names nobody. */
export async function resolveUser(
  deps: Pick<ResolveMemberDeps, 'identity'>,
  who: WhoActs,
): Promise<ActingUser> {
  const user =
    'token' in who
      ? await deps.identity.userByTokenHash(hashToken(who.token))
      : 'userId' in who
        ? await deps.identity.userById(who.userId)
        : await deps.identity.userByEmail(who.email);
  if (!user) {
    throw new AppError(
      'unauthorized',
      'token' in who
        ? 'unknown or revoked token'
        : 'userId' in who
          ? 'unknown user'
          : `nobody with the email ${who.email} is a user of Switchboard`,
    );
  }
  return user;
}

/**
 * The acting user as a member of the workspace. A workspace they do not belong to (or were
 * revoked from) is not found — its existence is not revealed; a suspended member is refused.
 */
export async function resolveMember(
  deps: ResolveMemberDeps,
  who: WhoActs,
  workspaceId: string,
): Promise<ResolvedMember> {
  const user = await resolveUser(deps, who);
  const facts = await deps.access.workspaceAccess(workspaceId);
  const principal = buildPrincipal(facts, user.id);
  if (!principal || principal.status === 'revoked')
    throw new AppError('not_found', 'no such workspace');
  if (principal.status === 'suspended') {
    throw new AppError('forbidden', 'your membership of this workspace is suspended');
  }
  return { user, principal, facts };
}
