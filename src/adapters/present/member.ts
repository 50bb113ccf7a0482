import { z } from 'zod';
import { parseStoredRestrictions } from '../../core/access/index.js';
import type { AccessFactsSource, Principal } from '../../core/access/index.js';
import { listMembers, type MemberList } from '../../core/people/list-members.js';
import type { Database } from '../db/database.js';
import { memberDirectorySource } from '../db/people-store.js';

/** A member (or a pending invitation, shown as pending) as the API shows it (shared/API.md). */
export const memberSchema = z.object({
  user: z.object({ id: z.string().nullable(), email: z.string(), name: z.string() }),
  role: z.string(),
  status: z.enum(['pending', 'active', 'suspended', 'revoked']),
  teamIds: z.array(z.string()),
  restrictions: z.record(z.string(), z.unknown()),
  online: z.boolean(),
  lastSeenAt: z.string().nullable(),
  invitationId: z.string().optional(),
  /**
   * Members only: what the caller may do to this member, as the member rules decide it (a page
   * offers only these controls; the server decides each action again).
   */
  may: z
    .object({
      changeRole: z.boolean(),
      restrict: z.boolean(),
      suspend: z.boolean(),
      reinstate: z.boolean(),
      revoke: z.boolean(),
    })
    .optional(),
});
export type MemberJson = z.infer<typeof memberSchema>;

/** Online: an event stream open on this server, or activity in the last five minutes. */
export const ONLINE_WINDOW_MS = 5 * 60 * 1000;

/**
 * Everyone of the workspace: members, then pending invitations. Not redacted: masking is of
 * contacts' identifiers (PRODUCT.md §3.4), and colleagues' emails are how members find each
 * other; a directory that ever carries a contact's phone or email must redact here.
 */
export function presentMembers(
  list: Pick<MemberList, 'members' | 'invitations'>,
  options: { now: Date; isOnline: (userId: string) => boolean },
): MemberJson[] {
  const now = options.now.getTime();
  return [
    ...list.members.map((m) => ({
      user: { id: m.userId, email: m.email, name: m.name },
      role: m.role,
      status: m.status,
      teamIds: m.teamIds,
      restrictions: parseStoredRestrictions(m.restrictions),
      online:
        m.status === 'active' &&
        (options.isOnline(m.userId) ||
          (m.lastSeenAt !== null && now - m.lastSeenAt.getTime() < ONLINE_WINDOW_MS)),
      lastSeenAt: m.lastSeenAt ? m.lastSeenAt.toISOString() : null,
      may: m.may,
    })),
    ...list.invitations.map((i) => ({
      user: { id: null, email: i.email, name: i.name },
      role: i.role,
      status: 'pending' as const,
      teamIds: i.teamIds,
      restrictions: parseStoredRestrictions(i.restrictions),
      online: false,
      lastSeenAt: null,
      invitationId: i.invitationId,
    })),
  ];
}

/**
 * The member list as `actor` sees it (`listMembers`, presented): what the REST API and the
 * Slack bot show, with the roles the actor may give.
 */
export async function memberListFor(
  deps: {
    db: Database;
    access: AccessFactsSource;
    now(): Date;
    live: { isOnline(workspaceId: string, userId: string): boolean };
  },
  actor: Principal,
): Promise<{ items: MemberJson[]; grantableRoles: MemberList['grantableRoles'] }> {
  const list = await listMembers(
    { directory: memberDirectorySource(deps.db), access: deps.access, now: () => deps.now() },
    { actor, workspaceId: actor.workspaceId },
  );
  const items = presentMembers(list, {
    now: deps.now(),
    isOnline: (userId) => deps.live.isOnline(actor.workspaceId, userId),
  });
  return { items, grantableRoles: list.grantableRoles };
}

/** The member list's CSV rows (name, email, role, status, teams by name, last seen). */
export const MEMBERS_CSV_HEADER = ['name', 'email', 'role', 'status', 'teams', 'last seen'];

export function memberCsvRows(
  members: readonly MemberJson[],
  teamNames: ReadonlyMap<string, string>,
): string[][] {
  return members.map((m) => [
    m.user.name,
    m.user.email,
    m.role,
    m.status,
    m.teamIds.map((t) => teamNames.get(t) ?? t).join('; '),
    m.lastSeenAt ?? '',
  ]);
}
