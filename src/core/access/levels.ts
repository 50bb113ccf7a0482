/**
 * Access levels and permissions (PRODUCT.md §3.5), as data. Levels are ordered
 * `none < assigned < own < team < all`; a permission allows only some of them.
 */
export const levels = ['none', 'assigned', 'own', 'team', 'all'] as const;
export type Level = (typeof levels)[number];

export const rank = { none: 0, assigned: 1, own: 2, team: 3, all: 4 } as const satisfies Record<
  Level,
  number
>;
export const levelOfRank = (r: number): Level => levels[r] ?? 'none';

export const broadest = (a: Level, b: Level): Level => (rank[a] >= rank[b] ? a : b);
export const narrowest = (a: Level, b: Level): Level => (rank[a] <= rank[b] ? a : b);

const chatLevels = ['none', 'assigned', 'own', 'team', 'all'] as const;
const scopedLevels = ['none', 'own', 'team', 'all'] as const;
const switchLevels = ['none', 'all'] as const;

/**
 * Every permission and the levels it may take. `channel.use` (which accounts a user may
 * send through, PRODUCT.md §3.3) is the reply rule as data: Agents `own`, Collaborators
 * `all` (for their assigned chats), the others as far as they see.
 */
export const permissionLevels = {
  'chat.view': chatLevels,
  'chat.reply': chatLevels,
  'chat.assign': chatLevels,
  'chat.join': chatLevels,
  'chat.rate': chatLevels,
  'stats.view': scopedLevels,
  'channel.view': scopedLevels,
  'channel.edit': scopedLevels,
  'channel.connect': scopedLevels,
  'channel.use': scopedLevels,
  'snippets.use': switchLevels,
  'workflows.use': switchLevels,
  'contacts.view': switchLevels,
  'contacts.delete': switchLevels,
  'dashboard.view': switchLevels,
  'broadcasts.send': switchLevels,
  'reports.view': switchLevels,
  'data.export': switchLevels,
  'integrations.manage': switchLevels,
  'settings.manage': switchLevels,
  'users.manage': switchLevels,
  'teams.manage': switchLevels,
  'permissions.edit': switchLevels,
  'billing.manage': switchLevels,
  'workspace.manage': switchLevels,
} as const satisfies Record<string, readonly Level[]>;

export type Permission = keyof typeof permissionLevels;
export const permissions = Object.keys(permissionLevels) as Permission[];

/** Actions on one chat; their level is a scope over chat relations (PRODUCT.md §3.1). */
export const chatActions = [
  'chat.view',
  'chat.reply',
  'chat.assign',
  'chat.join',
  'chat.rate',
] as const satisfies readonly Permission[];
export type ChatAction = (typeof chatActions)[number];

/** Actions on one channel account; their level is a scope over account ownership. */
export const channelActions = [
  'channel.view',
  'channel.edit',
  'channel.connect',
  'channel.use',
] as const satisfies readonly Permission[];
export type ChannelAction = (typeof channelActions)[number];

export const isChatAction = (p: Permission): p is ChatAction =>
  (chatActions as readonly string[]).includes(p);
export const isChannelAction = (p: Permission): p is ChannelAction =>
  (channelActions as readonly string[]).includes(p);

export type PermissionLevels = Record<Permission, Level>;

export const noPermissions = (): PermissionLevels =>
  Object.fromEntries(permissions.map((p) => [p, 'none'])) as PermissionLevels;
