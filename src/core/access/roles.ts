import { AppError, type ErrorDetail } from '../errors.js';
import {
  permissionLevels,
  permissions,
  rank,
  type Level,
  type Permission,
  type PermissionLevels,
} from './levels.js';

/**
 * The built-in roles, exactly as PRODUCT.md §3.2–3.3 tabulates them (TimelinesAI's chat
 * table; respond.io's privileges and modules). ⭕ ("may be granted by the Owner") is on by
 * default and the Owner's to withhold through a restriction, as respond.io does it: a
 * Manager "manages workspace settings" unless restricted (`noWorkspaceSettings`); an Agent
 * uses shortcuts unless the workflows button is restricted (`noWorkflows`, which "also
 * stops them initiating a shortcut").
 */
export const builtInRoleKeys = ['owner', 'admin', 'teammate', 'agent', 'collaborator'] as const;
export type BuiltInRoleKey = (typeof builtInRoleKeys)[number];

export const isBuiltInRole = (role: string): role is BuiltInRoleKey =>
  (builtInRoleKeys as readonly string[]).includes(role);

export interface BuiltInRole {
  key: BuiltInRoleKey;
  name: string;
  /** Higher outranks lower: who may invite, promote, suspend or revoke whom (PRODUCT.md §2). */
  rank: number;
  permissions: PermissionLevels;
}

const all = 'all' as const;
const none = 'none' as const;

// prettier-ignore
export const builtInRoles = {
  owner: {
    key: 'owner',
    name: 'Owner',
    rank: 5,
    permissions: {
      'chat.view': all, 'chat.reply': all, 'chat.assign': all, 'chat.join': all, 'chat.rate': all,
      'stats.view': all,
      'channel.view': all, 'channel.edit': all, 'channel.connect': all, 'channel.use': all,
      'snippets.use': all, 'workflows.use': all, 'contacts.view': all, 'contacts.delete': all,
      'dashboard.view': all, 'broadcasts.send': all, 'reports.view': all,
      'data.export': all, 'integrations.manage': all, 'settings.manage': all,
      'users.manage': all, 'teams.manage': all, 'permissions.edit': all,
      'billing.manage': all, 'workspace.manage': all,
    },
  },
  admin: {
    key: 'admin',
    name: 'Admin',
    rank: 4,
    permissions: {
      'chat.view': all, 'chat.reply': all, 'chat.assign': all, 'chat.join': all, 'chat.rate': all,
      'stats.view': all,
      'channel.view': all, 'channel.edit': all, 'channel.connect': all, 'channel.use': all,
      'snippets.use': all, 'workflows.use': all, 'contacts.view': all, 'contacts.delete': all,
      'dashboard.view': all, 'broadcasts.send': all, 'reports.view': all,
      'data.export': all, 'integrations.manage': all,
      'settings.manage': all, // ⭕ the Owner may withhold it (noWorkspaceSettings)
      'users.manage': all, 'teams.manage': all, 'permissions.edit': all,
      'billing.manage': none, 'workspace.manage': none,
    },
  },
  teammate: {
    key: 'teammate',
    name: 'Teammate',
    rank: 3,
    permissions: {
      'chat.view': 'team', 'chat.reply': 'team', 'chat.assign': 'team', 'chat.join': 'team', 'chat.rate': 'team',
      'stats.view': 'team',
      'channel.view': 'team', 'channel.edit': 'own', 'channel.connect': 'own', 'channel.use': 'team',
      'snippets.use': all, 'workflows.use': all, 'contacts.view': none, 'contacts.delete': none,
      'dashboard.view': none, 'broadcasts.send': none, 'reports.view': none,
      'data.export': none, 'integrations.manage': none, 'settings.manage': none,
      'users.manage': none, 'teams.manage': none, 'permissions.edit': none,
      'billing.manage': none, 'workspace.manage': none,
    },
  },
  agent: {
    key: 'agent',
    name: 'Agent',
    rank: 2,
    permissions: {
      'chat.view': 'own', 'chat.reply': 'own', 'chat.assign': 'own', 'chat.join': 'own', 'chat.rate': 'own',
      'stats.view': 'own',
      'channel.view': 'own', 'channel.edit': 'own', 'channel.connect': 'own', 'channel.use': 'own',
      'snippets.use': all, // ⭕ the Owner may withhold it (noWorkflows)
      'workflows.use': all, 'contacts.view': none, 'contacts.delete': none,
      'dashboard.view': none, 'broadcasts.send': none, 'reports.view': none,
      'data.export': none, 'integrations.manage': none, 'settings.manage': none,
      'users.manage': none, 'teams.manage': none, 'permissions.edit': none,
      'billing.manage': none, 'workspace.manage': none,
    },
  },
  collaborator: {
    key: 'collaborator',
    name: 'Collaborator',
    rank: 1,
    permissions: {
      'chat.view': 'assigned', 'chat.reply': 'assigned', 'chat.assign': none, 'chat.join': none, 'chat.rate': 'assigned',
      'stats.view': none,
      // Collaborators connect nothing, but answer their assigned chats through any account.
      'channel.view': none, 'channel.edit': none, 'channel.connect': none, 'channel.use': all,
      'snippets.use': none, 'workflows.use': none, 'contacts.view': none, 'contacts.delete': none,
      'dashboard.view': none, 'broadcasts.send': none, 'reports.view': none,
      'data.export': none, 'integrations.manage': none, 'settings.manage': none,
      'users.manage': none, 'teams.manage': none, 'permissions.edit': none,
      'billing.manage': none, 'workspace.manage': none,
    },
  },
} as const satisfies Record<BuiltInRoleKey, BuiltInRole>;

/**
 * Dependencies between permissions (PRODUCT.md §3.5): no edit or connect above view; no
 * reply, join or rate above view (rating needs the history); nobody assigns what they
 * cannot see.
 */
export const permissionDependencies = [
  ['channel.edit', 'channel.view'],
  ['channel.connect', 'channel.view'],
  ['chat.reply', 'chat.view'],
  ['chat.join', 'chat.view'],
  ['chat.rate', 'chat.view'],
  ['chat.assign', 'chat.view'],
] as const satisfies ReadonlyArray<readonly [Permission, Permission]>;

/**
 * What a custom role leaves out of `channel.use` follows from its `chat.reply`, the way the
 * built-in roles pair them: replying to assigned chats means through any account
 * (Collaborator), otherwise as far as the reply scope reaches.
 */
const channelUseForReply = {
  none: 'none',
  assigned: 'all',
  own: 'own',
  team: 'team',
  all: 'all',
} as const satisfies Record<Level, Level>;

/**
 * Validates a custom role's permissions and completes them: unknown permissions, levels a
 * permission does not take, and broken dependencies are refused with one detail each.
 */
export function validateRolePermissions(input: Record<string, string>): PermissionLevels {
  const details: ErrorDetail[] = [];
  const result = {} as PermissionLevels;
  for (const [name, level] of Object.entries(input)) {
    if (!(name in permissionLevels)) {
      details.push({ path: `permissions.${name}`, message: 'unknown permission' });
      continue;
    }
    const allowed = permissionLevels[name as Permission] as readonly string[];
    if (!allowed.includes(level)) {
      details.push({
        path: `permissions.${name}`,
        message: `must be one of ${allowed.join(', ')}`,
      });
    }
  }
  if (details.length) throw new AppError('invalid_input', 'the role is not valid', { details });
  for (const p of permissions) result[p] = (input[p] as Level | undefined) ?? 'none';
  if (input['channel.use'] === undefined) {
    result['channel.use'] = channelUseForReply[result['chat.reply']];
  }
  for (const [dependent, required] of permissionDependencies) {
    if (rank[result[dependent]] > rank[result[required]]) {
      details.push({
        path: `permissions.${dependent}`,
        message: `cannot be broader than ${required} (${result[required]})`,
      });
    }
  }
  if (details.length) throw new AppError('invalid_input', 'the role is not valid', { details });
  return result;
}
