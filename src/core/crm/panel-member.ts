import type { CheckContext } from '../access/index.js';
import { AppError } from '../errors.js';
import {
  resolveMember,
  type ResolveMemberDeps,
  type ResolvedMember,
} from '../identity/resolve-member.js';

/**
 * The member a CRM panel request acts as (shared/API.md "CRM panels"): named by email in a
 * signed generic request, or by a mapped CRM user id (Pipedrive). Resolved exactly as a bearer
 * token is (`resolveMember`); anyone who is not an active member of the integration's
 * workspace — unknown, suspended or revoked — is refused alike, 403, so a CRM cannot tell
 * which of the three it is.
 */
export async function resolvePanelMember(
  deps: ResolveMemberDeps,
  workspaceId: string,
  who: { email: string } | { userId: string },
): Promise<ResolvedMember> {
  try {
    return await resolveMember(deps, who, workspaceId);
  } catch (error) {
    if (error instanceof AppError && error.code !== 'unavailable' && error.code !== 'internal') {
      throw new AppError(
        'forbidden',
        `${'email' in who ? who.email : 'the mapped user'} is not an active member of this workspace`,
      );
    }
    throw error;
  }
}

/** Every decision a panel makes is made as a CRM panel's (CRM precedence counts there). */
export const panelContext: CheckContext = Object.freeze({ route: 'crm_panel' });
