import { z } from 'zod';
import type { Level, Permission } from './levels.js';

/**
 * Per-user restrictions (PRODUCT.md §3.4, respond.io). Set when inviting or later; they
 * only ever narrow what the roles give, and they never apply to Owners.
 */
export const restrictionsSchema = z
  .object({
    /** Agent contact visibility: "self and own team" or "self only"; unassigned chats vanish. */
    chatVisibility: z.enum(['team', 'self']).optional(),
    /** Phone and email are masked in everything the user receives. */
    maskContactIdentifiers: z.boolean().optional(),
    noWorkspaceSettings: z.boolean().optional(),
    noContactDeletion: z.boolean().optional(),
    noDataExport: z.boolean().optional(),
    noIntegrations: z.boolean().optional(),
    noChannelConnection: z.boolean().optional(),
    /** Agent: no workflows button. */
    noWorkflows: z.boolean().optional(),
  })
  .strict();

export type Restrictions = z.infer<typeof restrictionsSchema>;
export type RestrictionKey = keyof Restrictions;

/** The switch-like restrictions, as data: each caps permissions at a level. */
export const restrictionCaps = {
  noWorkspaceSettings: [['settings.manage', 'none']],
  noContactDeletion: [['contacts.delete', 'none']],
  noDataExport: [['data.export', 'none']],
  noIntegrations: [['integrations.manage', 'none']],
  noChannelConnection: [['channel.connect', 'none']],
  // respond.io: without the workflows button an Agent cannot "initiate a shortcut" either.
  noWorkflows: [
    ['workflows.use', 'none'],
    ['snippets.use', 'none'],
  ],
} as const satisfies Partial<Record<RestrictionKey, ReadonlyArray<readonly [Permission, Level]>>>;

/** Built once: zod compiles a schema on first use, so a schema made per call is slow (~60 µs). */
const storedRestrictions = restrictionsSchema.strip();

/** Stored restrictions may predate a key's removal: unknown keys are dropped, not fatal. */
export function parseStoredRestrictions(value: unknown): Restrictions {
  const parsed = storedRestrictions.safeParse(value ?? {});
  return parsed.success ? parsed.data : {};
}
