import { z } from 'zod';
import { parseStoredRestrictions } from '../../core/access/index.js';
import type { memberDirectory } from '../db/people-store.js';

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
});
export type MemberJson = z.infer<typeof memberSchema>;

export type MemberDirectory = Awaited<ReturnType<typeof memberDirectory>>;

/** Online: an event stream open on this server, or activity in the last five minutes. */
export const ONLINE_WINDOW_MS = 5 * 60 * 1000;

/**
 * Everyone of the workspace: members, then pending invitations. Not redacted: masking is of
 * contacts' identifiers (PRODUCT.md §3.4), and colleagues' emails are how members find each
 * other; a directory that ever carries a contact's phone or email must redact here.
 */
export function presentMembers(
  directory: MemberDirectory,
  options: { now: Date; isOnline: (userId: string) => boolean },
): MemberJson[] {
  const now = options.now.getTime();
  const { members, teams, invitations } = directory;
  return [
    ...members.map((m) => ({
      user: { id: m.id, email: m.email, name: m.name },
      role: m.role,
      status: m.status,
      teamIds: teams.filter((t) => t.user_id === m.id).map((t) => t.team_id),
      restrictions: parseStoredRestrictions(m.restrictions),
      online:
        m.status === 'active' &&
        (options.isOnline(m.id) ||
          (m.last_seen_at !== null && now - m.last_seen_at.getTime() < ONLINE_WINDOW_MS)),
      lastSeenAt: m.last_seen_at ? m.last_seen_at.toISOString() : null,
    })),
    ...invitations.map((i) => ({
      user: { id: null, email: i.email, name: i.name },
      role: i.role,
      status: 'pending' as const,
      teamIds: i.team_ids,
      restrictions: parseStoredRestrictions(i.restrictions),
      online: false,
      lastSeenAt: null,
      invitationId: i.id,
    })),
  ];
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
