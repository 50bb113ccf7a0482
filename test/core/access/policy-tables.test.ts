import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/core/errors.js';
import {
  audience,
  builtInRoleKeys,
  check,
  checkChannel,
  checkPermission,
  permissions,
  redact,
  validateRolePermissions,
  type BuiltInRoleKey,
  type CheckContext,
  type ChatAction,
  type ChatFacts,
  type Permission,
  type Principal,
  type Restrictions,
} from '../../../src/core/access/index.js';
import {
  Role,
  U,
  bound,
  chatOn,
  chatsSeenFrom,
  customRoles,
  decide,
  everyone,
  hqAccount,
  mark,
  principalOf,
  restricted,
  sees,
  teamAccount,
  thrownBy,
  toTeam,
  toUser,
  userAccount,
  why,
  type Relation,
  type UserKey,
} from './world.js';

describe('§3.2 chat visibility (chat.view)', () => {
  // prettier-ignore
  const table = [
    // role            own chats  same-team  other teams'  assigned  chat scope
    ['owner',          '✔',       '✔',       '✔',          '✔',      'all'],
    ['admin',          '✔',       '✔',       '✔',          '✔',      'all'],
    ['teammate',       '✔',       '✔',       '✗',          '✔',      'team'],
    ['agent',          '✔',       '✗',       '✗',          '✔',      'own'],
    ['collaborator',   'n/a',     '✗',       '✗',          '✔',      'assigned'],
  ] as const;

  const cases = table.flatMap(([role, own, same, other, assigned, scope]) => {
    // prettier-ignore
    const cell: Record<Relation, string> = { 'own chats': own, 'same-team chats': same, "other teams' chats": other, 'assigned chats': assigned, 'unassigned HQ chats': scope === 'all' ? '✔' : '✗' };
    const prefix = (r: Relation) => (r === 'unassigned HQ chats' ? `scope ${scope}, ` : '');
    return chatsSeenFrom(role)
      .filter(([relation]) => cell[relation] !== 'n/a')
      .map(([r, how, chat]): [string, UserKey, ChatFacts, boolean] => [
        `${Role[role]}: ${prefix(r)}${r} ${cell[r]} (${how})`,
        role,
        chat,
        cell[r] === '✔',
      ]);
  });
  it.each(cases)('§3.2 %s', (_rule, role, chat, expected) => {
    expect(sees(principalOf(role), chat)).toBe(expected);
  });

  it.each(
    table.map(([role, , , , , scope]) => [Role[role], scope, role] as [string, string, UserKey]),
  )('§3.2 %s: chat scope %s', (_name, scope, role) => {
    const p = principalOf(role);
    expect(p.levels['chat.view']).toBe(scope);
    expect(check(p, 'chat.view', chatOn(hqAccount)).level).toBe(scope);
  });

  it('§3.2 Collaborator: own chats n/a — connects no account, sees only assigned or participant chats', () => {
    const cora = principalOf('collaborator');
    expect(checkChannel(cora, 'channel.connect', userAccount('collaborator')).allowed).toBe(false);
    expect(sees(cora, chatOn(hqAccount, { participants: ['collaborator'] }))).toBe(true);
    expect(sees(cora, chatOn(hqAccount, { participants: ['sam'] }))).toBe(false);
  });
});

describe('§3.2 workspace privileges', () => {
  // prettier-ignore
  const table = [
    ['account / workspace management', 'workspace.manage',    ['owner']],
    ['subscription and billing',       'billing.manage',      ['owner']],
    ['teams',                          'teams.manage',        ['owner', 'admin']],
    ['users',                          'users.manage',        ['owner', 'admin']],
    ['integrations',                   'integrations.manage', ['owner', 'admin']],
  ] as const;
  const cases = table.flatMap(([what, permission, who]) =>
    builtInRoleKeys.map((role) => {
      const expected = (who as readonly BuiltInRoleKey[]).includes(role);
      const name = `${what} (${permission}): ${Role[role]} ${mark(expected)}`;
      return [name, role, permission, expected] as [string, UserKey, typeof permission, boolean];
    }),
  );
  it.each(cases)('§3.2 %s', (_rule, role, permission, expected) => {
    expect(checkPermission(principalOf(role), permission).allowed).toBe(expected);
  });

  const connect = builtInRoleKeys.map((role) => [role, role !== 'collaborator'] as const);
  it.each(
    connect.map(
      ([role, ok]) => [`${Role[role]} ${mark(ok)}`, role, ok] as [string, UserKey, boolean],
    ),
  )('§3.2 connect a channel account (everyone but Collaborator): %s', (_rule, role, expected) => {
    const own = userAccount(role); // an account whose owner is the user themselves
    expect(checkChannel(principalOf(role), 'channel.connect', own).allowed).toBe(expected);
  });
});

describe('§3.2 module access', () => {
  // prettier-ignore
  const table = [
    // module                   permission         Owner Admin Agent
    ['Dashboard',               'dashboard.view',  '✅', '✅', '❌'],
    ['Contacts',                'contacts.view',   '✅', '✅', '❌'],
    ['Broadcasts',              'broadcasts.send', '✅', '✅', '❌'],
    ['Reports',                 'reports.view',    '✅', '✅', '❌'],
    ['Messages',                'chat.view',       '✅', '✅', '✅'],
    ['Shortcuts (snippets)',    'snippets.use',    '✅', '✅', '⭕'],
    ['Workspace settings',      'settings.manage', '✅', '⭕', '❌'],
  ] as const;
  const roles = ['owner', 'admin', 'agent'] as const;
  const cases = table.flatMap(([module, permission, ...cells]) =>
    roles.map((role, i) => {
      const name = `${module} (${permission}): ${Role[role]} ${cells[i]}`;
      return [name, role, permission, cells[i]] as [string, UserKey, Permission, string];
    }),
  );
  type Switch = Exclude<Permission, ChatAction | `channel.${string}`>;
  const has = (p: Principal, permission: Permission, role: UserKey) =>
    permission === 'chat.view'
      ? sees(p, chatOn(userAccount(role)))
      : checkPermission(p, permission as Switch).allowed;

  // ⭕ "may be granted by the Owner": on by default, and the Owner's restriction withholds it
  // (respond.io: a Manager manages settings unless restricted; without the workflows button
  // an Agent cannot initiate a shortcut either).
  const withheldBy: Partial<Record<Permission, keyof Restrictions>> = {
    'settings.manage': 'noWorkspaceSettings',
    'snippets.use': 'noWorkflows',
  };
  it.each(cases)('§3.2 %s', (_rule, role, permission, cell) => {
    expect(has(principalOf(role), permission, role)).toBe(cell !== '❌');
    if (cell !== '⭕') return;
    const restriction = withheldBy[permission];
    if (!restriction) throw new Error(`no restriction withholds ${permission}`);
    const withheld = principalOf(role, { restrictions: { [role]: { [restriction]: true } } });
    expect(has(withheld, permission, role)).toBe(false);
    expect(withheld.levels['chat.view']).toBe(principalOf(role).levels['chat.view']);
  });
});

describe('§3.3 replying', () => {
  const sams = chatOn(userAccount('sam'));
  const onSams = (u: UserKey) => chatOn(userAccount('sam'), { assignee: toUser(u) });
  const onHq = (u: UserKey) => chatOn(hqAccount, { assignee: toUser(u) });
  const own = (u: UserKey) => chatOn(userAccount(u));
  // prettier-ignore
  const table: Array<[string, '✔' | '✗', UserKey, ChatAction, ChatFacts, CheckContext?]> = [
    ['Agent replies to a chat on an account they connected',                 '✔', 'agent', 'chat.reply', own('agent')],
    ["Agent assigned a chat on a colleague's account may view it",           '✔', 'agent', 'chat.view', onSams('agent')],
    ["Agent never replies through a colleague's account, even assigned",     '✗', 'agent', 'chat.reply', onSams('agent')],
    ['Agent replies only through an account they connected (via own)',       '✔', 'agent', 'chat.reply', onSams('agent'), { via: userAccount('agent') }],
    ["Agent never replies through a colleague's account (own chat via Sam)", '✗', 'agent', 'chat.reply', own('agent'), { via: userAccount('sam') }],
    ["Agent never replies through HQ's account, even to an assigned chat",   '✗', 'agent', 'chat.reply', onHq('agent')],
    ["Agent never replies through a colleague's account, even from a CRM panel", '✗', 'agent', 'chat.reply', onSams('agent'), { route: 'crm_panel' }],
    ['Agent replies from a CRM panel through an account they connected',     '✔', 'agent', 'chat.reply', onSams('agent'), { route: 'crm_panel', via: userAccount('agent') }],
    ["Teammate replies through a same-team member's account",                '✔', 'teammate', 'chat.reply', sams],
    ["Teammate replies through the sub-team's account",                      '✔', 'teammate', 'chat.reply', chatOn(teamAccount('salesEu'))],
    ["Teammate does not reply through another team's account",               '✗', 'teammate', 'chat.reply', sams, { via: userAccount('otto') }],
    ["Teammate does not reply to another team's chats",                      '✗', 'teammate', 'chat.reply', own('otto')],
    ["Collaborator answers an assigned chat through HQ's account",           '✔', 'collaborator', 'chat.reply', onHq('collaborator')],
    ["Collaborator answers an assigned chat through another team's account", '✔', 'collaborator', 'chat.reply', chatOn(userAccount('otto'), { assignee: toUser('collaborator') })],
    ['Collaborator does not answer unassigned chats (HQ)',                   '✗', 'collaborator', 'chat.reply', chatOn(hqAccount)],
    ["Collaborator does not answer unassigned chats (a teammate's account)", '✗', 'collaborator', 'chat.reply', sams],
    ['Collaborator does not answer chats assigned to someone else',          '✗', 'collaborator', 'chat.reply', onHq('sam')],
    ['Admin replies through any account (unassigned HQ chat)',               '✔', 'admin', 'chat.reply', chatOn(hqAccount)],
    ["Admin replies through any account (via another team's member's)",      '✔', 'admin', 'chat.reply', sams, { via: userAccount('otto') }],
    ['Owner replies through any account (unassigned HQ chat)',               '✔', 'owner', 'chat.reply', chatOn(hqAccount)],
    ["Owner replies through any account (via another team's)",               '✔', 'owner', 'chat.reply', own('otto'), { via: teamAccount('support') }],
  ];
  it.each(table)('§3.3 %s %s', (_rule, expected, who, action, chat, ctx) => {
    expect(decide(principalOf(who), action, chat, ctx).allowed).toBe(expected === '✔');
  });

  // PRODUCT.md §3.3: "Teammates … send through any account whose chats they see". The Teammate
  // sees these chats (§3.2 assigned ✔, same-team ✔), but their channel.use "team" leaves HQ's
  // accounts out, so they cannot answer the chat on the account it came in on.
  it.each([
    ['a chat assigned to them', onHq('teammate')],
    ["their team's queue", chatOn(hqAccount, { assignee: toTeam('sales') })],
  ])(
    "§3.3 Teammate replies to %s on HQ's account (an account whose chats they see) ✔",
    (_, chat) => {
      expect(sees(principalOf('teammate'), chat)).toBe(true);
      expect(decide(principalOf('teammate'), 'chat.reply', chat).allowed).toBe(true);
    },
  );
});

describe('§3.4 restrictions', () => {
  // A custom role bound on top changes nothing: restrictions narrow after the broadest role.
  const settings = bound(customRoles.settings, { user: 'admin' });
  // prettier-ignore
  const adminTable = [
    ['noWorkspaceSettings', 'settings.manage'],
    ['noContactDeletion',   'contacts.delete'],
    ['noDataExport',        'data.export'],
    ['noIntegrations',      'integrations.manage'],
    ['noChannelConnection', 'channel.connect'],
  ] as const;
  it.each(adminTable)('§3.4 Admin with %s loses %s, and only that', (key, permission) => {
    const before = principalOf('admin', settings);
    const after = principalOf('admin', { ...settings, restrictions: { admin: { [key]: true } } });
    expect(permissions.filter((p) => before.levels[p] !== after.levels[p])).toEqual([permission]);
    const decision = (p: Principal) =>
      permission === 'channel.connect'
        ? checkChannel(p, permission, userAccount('admin'))
        : checkPermission(p, permission);
    expect(decision(before).allowed).toBe(true);
    expect(decision(after).allowed).toBe(false);
    expect(why(decision(after))).toContain(key);
  });

  const mine = (u: UserKey, assignee: ChatFacts['assignee']) =>
    chatOn(userAccount(u), { assignee });
  // prettier-ignore
  const visibility: Array<[string, '✔' | '✗', UserKey, 'self' | 'team', ChatFacts]> = [
    ['Agent "self only": unassigned chats on their own account vanish',      '✗', 'agent', 'self', mine('agent', null)],
    ['Agent "self only": chats assigned to a teammate vanish',                '✗', 'agent', 'self', mine('agent', toUser('sam'))],
    ['Agent "self only": keeps chats assigned to them on their own account', '✔', 'agent', 'self', mine('agent', toUser('agent'))],
    ['Agent "self only": keeps chats assigned to them elsewhere',            '✔', 'agent', 'self', mine('otto', toUser('agent'))],
    ['Agent "self only": keeps chats they take part in',                     '✔', 'agent', 'self', chatOn(hqAccount, { participants: ['agent'] })],
    ['Agent "self and own team": unassigned chats on their account vanish',  '✗', 'agent', 'team', mine('agent', null)],
    ['Agent "self and own team": keeps chats assigned to a teammate',        '✔', 'agent', 'team', mine('agent', toUser('sam'))],
    ['Agent "self and own team": keeps chats assigned to their team',        '✔', 'agent', 'team', mine('agent', toTeam('sales'))],
    ['Agent "self and own team": chats assigned to another team vanish',     '✗', 'agent', 'team', mine('agent', toTeam('support'))],
    ['Agent "self and own team": keeps chats assigned to them',              '✔', 'agent', 'team', mine('otto', toUser('agent'))],
    ['Teammate "self and own team": unassigned team chats vanish',           '✗', 'teammate', 'team', mine('sam', null)],
    ['Teammate "self and own team": keeps chats assigned to a teammate',     '✔', 'teammate', 'team', chatOn(hqAccount, { assignee: toUser('sam') })],
    ['Teammate "self and own team": keeps chats assigned to the team',       '✔', 'teammate', 'team', chatOn(hqAccount, { assignee: toTeam('sales') })],
  ];
  it.each(visibility)('§3.4 %s %s', (_rule, expected, who, chatVisibility, chat) => {
    // Without the restriction every one of these chats is visible: the restriction decides.
    expect(sees(principalOf(who), chat)).toBe(true);
    const d = decide(restricted(who, { chatVisibility }), 'chat.view', chat);
    expect(d.allowed).toBe(expected === '✔');
    if (expected === '✗') expect(why(d)).toContain('chatVisibility');
  });

  it('§3.4 Agent with noWorkflows loses workflows.use', () => {
    expect(checkPermission(principalOf('agent'), 'workflows.use').allowed).toBe(true);
    const d = checkPermission(restricted('agent', { noWorkflows: true }), 'workflows.use');
    expect(d.allowed).toBe(false);
    expect(why(d)).toContain('noWorkflows');
  });

  it('§3.4 restrictions only narrow, and never an Owner', () => {
    // prettier-ignore
    const every = { chatVisibility: 'self', maskContactIdentifiers: true, noWorkspaceSettings: true, noContactDeletion: true, noDataExport: true, noIntegrations: true, noChannelConnection: true, noWorkflows: true } as const;
    const olga = restricted('owner', every);
    expect(olga.levels).toEqual(principalOf('owner').levels);
    expect(olga.narrowedBy).toEqual({});
    expect(sees(olga, chatOn(hqAccount))).toBe(true);
    expect(checkPermission(olga, 'data.export').allowed).toBe(true);
    const payload = { phone: '+49 151 12345678' };
    expect(redact(olga, payload)).toBe(payload);
    // The same restrictions do narrow an Admin: the assertions above can fail.
    expect(restricted('admin', every).levels).not.toEqual(principalOf('admin').levels);
  });

  it('§3.4 mask phone and email: masked for the restricted user, unchanged for others', () => {
    const payload = {
      contact: { name: 'Jo', phone: '+49 151 12345678', email: 'jo.doe@example.com' },
      messages: [{ text: 'call me on +49 151 12345678 or write to jo.doe@example.com' }],
    };
    const copy = structuredClone(payload);
    const masked = redact(restricted('agent', { maskContactIdentifiers: true }), payload);
    expect(JSON.stringify(masked)).not.toContain('12345678');
    expect(JSON.stringify(masked)).not.toContain('jo.doe@example.com');
    expect(masked.contact.name).toBe('Jo');
    expect(payload).toEqual(copy);
    expect(redact(principalOf('agent'), payload)).toBe(payload);
  });
});

describe('§2 membership status', () => {
  it.each(['suspended', 'revoked'] as const)('§2 a %s member has no access at all', (status) => {
    const p = principalOf('owner', { status: { owner: status } });
    const mine = chatOn(userAccount('owner'), { assignee: toUser('owner'), crm: ['owner'] });
    const decisions = [
      ...(['chat.view', 'chat.reply', 'chat.assign'] as const).map((a) => decide(p, a, mine)),
      decide(p, 'chat.view', mine, { route: 'crm_panel' }),
      checkPermission(p, 'users.manage'),
      checkChannel(p, 'channel.connect', userAccount('owner')),
    ];
    for (const d of decisions) {
      expect(d.allowed).toBe(false);
      expect(why(d)).toContain(status);
    }
    const seeing = audience(everyone({ status: { owner: status } }), 'chat.view', mine);
    expect(seeing.map((x) => x.userId)).not.toContain(U.owner);
  });

  it('§1 a suspended team gives its members no team scope (own chats stay)', () => {
    const tina = principalOf('teammate', { teamStatus: { sales: 'suspended' } });
    expect(sees(principalOf('teammate'), chatOn(userAccount('sam')))).toBe(true);
    expect(sees(tina, chatOn(userAccount('sam')))).toBe(false);
    expect(sees(tina, chatOn(hqAccount, { assignee: toTeam('sales') }))).toBe(false);
    expect(sees(tina, chatOn(userAccount('teammate')))).toBe(true);
    expect([...tina.teamIds]).toEqual([]);
  });

  it("§1 a suspended team's role bindings give nothing", () => {
    const o = (legacy: 'active' | 'suspended') =>
      bound(customRoles.everything, { team: 'legacy' }, { teamStatus: { legacy } });
    expect(sees(principalOf('lea', o('active')), chatOn(hqAccount))).toBe(true);
    const lea = principalOf('lea', o('suspended'));
    expect(lea.levels['chat.view']).toBe('own');
    expect(sees(lea, chatOn(hqAccount))).toBe(false);
  });
});

describe('§3.5 custom roles', () => {
  const { desk, viewer } = customRoles;
  const deskOn = (team: 'sales' | 'salesEu') =>
    bound(desk, { team }, bound(viewer, { user: 'agent' }));

  it('§3.5 broadest binding wins: an Agent bound through their team to a team-level role sees same-team chats', () => {
    const chat = chatOn(userAccount('sam'));
    expect(sees(principalOf('agent'), chat)).toBe(false);
    const alex = principalOf('agent', deskOn('sales'));
    expect(alex.levels['chat.view']).toBe('team');
    const d = decide(alex, 'chat.view', chat);
    expect(d.allowed).toBe(true);
    expect(d.reasons.some((r) => r.includes('Sales desk') && r.includes('team Sales'))).toBe(true);
  });

  it('§3.5 broadest binding wins: a narrower role never narrows the built-in one', () => {
    const tina = principalOf('teammate', bound(viewer, { user: 'teammate' }));
    expect(tina.levels).toEqual(principalOf('teammate').levels);
    expect(sees(tina, chatOn(userAccount('sam')))).toBe(true);
  });

  it('§3.5 a role bound to a parent team reaches members of its sub-teams, not other teams', () => {
    const chat = chatOn(teamAccount('salesEu'));
    expect(sees(principalOf('eva'), chat)).toBe(false);
    const eva = principalOf('eva', deskOn('sales'));
    expect(eva.levels['chat.view']).toBe('team');
    expect(sees(eva, chat)).toBe(true);
    expect(principalOf('otto', deskOn('sales')).levels['chat.view']).toBe('own');
  });

  it('§3.5 a role bound to a sub-team does not reach members of the parent team', () => {
    expect(principalOf('agent', deskOn('salesEu')).levels['chat.view']).toBe('own');
    expect(principalOf('eva', deskOn('salesEu')).levels['chat.view']).toBe('team');
  });

  // prettier-ignore
  const invalid: Array<[string, Record<string, string>, string]> = [
    ['an unknown permission',                               { 'chat.delete': 'all' },                          'chat.delete'],
    ['"assigned" for channel.view (none, own, team, all)',  { 'channel.view': 'assigned' },                    'channel.view'],
    ['"assigned" for stats.view (none, own, team, all)',    { 'stats.view': 'assigned' },                      'stats.view'],
    ['"team" for billing.manage (none, all)',               { 'billing.manage': 'team' },                      'billing.manage'],
    ['"own" for snippets.use (none, all)',                  { 'snippets.use': 'own' },                         'snippets.use'],
    ['no reply above view',                                 { 'chat.view': 'own', 'chat.reply': 'team' },      'chat.reply'],
    ['no join above view',                                  { 'chat.view': 'assigned', 'chat.join': 'own' },   'chat.join'],
    ['rating needs history (chat.rate above chat.view)',    { 'chat.view': 'assigned', 'chat.rate': 'own' },   'chat.rate'],
    ['no edit above view (channel.edit)',                   { 'channel.view': 'own', 'channel.edit': 'team' }, 'channel.edit'],
    ['no connect above view (channel.connect)',             { 'channel.connect': 'own' },                      'channel.connect'],
  ];
  it.each(invalid)('§3.5 validateRolePermissions refuses %s', (_rule, input, permission) => {
    const error = thrownBy(() => validateRolePermissions(input));
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('invalid_input');
    expect((error as AppError).details?.map((d) => d.path)).toEqual([`permissions.${permission}`]);
  });

  it('§3.5 validateRolePermissions accepts a consistent role and completes it with "none"', () => {
    // prettier-ignore
    const role = validateRolePermissions({ 'chat.view': 'team', 'chat.reply': 'own', 'channel.view': 'own', 'channel.edit': 'own' });
    expect(role['chat.reply']).toBe('own');
    expect(role['billing.manage']).toBe('none');
    expect(Object.keys(role).sort()).toEqual([...permissions].sort());
  });
});

describe('§3.5 CRM precedence', () => {
  const chat = chatOn(userAccount('otto'), { crm: ['agent'] });
  it('§3.5 a CRM-confirmed user without chat.view may read the chat in the CRM panel', () => {
    const d = decide(principalOf('agent'), 'chat.view', chat, { route: 'crm_panel' });
    expect(d.allowed).toBe(true);
    expect(why(d)).toContain('CRM');
  });
  it.each([
    ['no route', {}],
    ['the API', { route: 'api' }],
  ] as const)('§3.5 CRM precedence holds only in the CRM panel: not from %s', (_where, ctx) => {
    expect(sees(principalOf('agent'), chat, ctx)).toBe(false);
  });
  it('§3.5 CRM precedence reads history only: no reply, and nothing for unconfirmed users', () => {
    const crm = { route: 'crm_panel' } as const;
    expect(decide(principalOf('agent'), 'chat.reply', chat, crm).allowed).toBe(false);
    expect(sees(principalOf('sam'), chat, crm)).toBe(false);
  });
});

describe('§3.7 explain: the reasons name what decided', () => {
  it('§3.7 an Agent reading their own chat: the role Agent and scope own', () => {
    const d = decide(principalOf('agent'), 'chat.view', chatOn(userAccount('agent')));
    expect(d.allowed).toBe(true);
    expect(d.reasons.some((r) => r.includes('Agent') && r.includes('own'))).toBe(true);
    expect(why(d)).toContain('account you own');
  });
  it('§3.7 a denied Agent: the scope that does not cover the chat', () => {
    const d = decide(principalOf('agent'), 'chat.view', chatOn(userAccount('sam')));
    expect(d.allowed).toBe(false);
    expect(why(d)).toMatch(/scope "own" does not cover/);
  });
  it('§3.7 a restriction that decided is named by its key', () => {
    const p = restricted('agent', { chatVisibility: 'self' });
    expect(why(decide(p, 'chat.view', chatOn(userAccount('agent'))))).toContain('chatVisibility');
    const admin = restricted('admin', { noDataExport: true });
    expect(why(checkPermission(admin, 'data.export'))).toContain('noDataExport');
  });
});

describe('§3.6 one rule: audience is exactly who check allows', () => {
  const principals = everyone(
    bound(
      customRoles.desk,
      { team: 'salesEu' },
      {
        status: { otto: 'suspended' },
        restrictions: { teammate: { chatVisibility: 'team' }, sam: { chatVisibility: 'self' } },
      },
    ),
  );
  const chats = builtInRoleKeys.flatMap((k) =>
    chatsSeenFrom(k).map(([r, how, chat]): [string, ChatFacts] => [`${k}: ${r}, ${how}`, chat]),
  );
  it.each(chats)('§3.6 audience of chat.view and chat.reply = check-allowed (%s)', (_, chat) => {
    for (const action of ['chat.view', 'chat.reply'] as const) {
      const allowed = principals.filter((p) => check(p, action, chat).allowed);
      expect(audience(principals, action, chat).map((p) => p.userId)).toEqual(
        allowed.map((p) => p.userId),
      );
    }
  });
  it("§3.6 audience of an unassigned chat on a Sales member's account: Owner, Admin, Teammate, its owner", () => {
    const ids = audience(everyone(), 'chat.view', chatOn(userAccount('sam'))).map((p) => p.userId);
    expect(ids).toEqual([U.owner, U.admin, U.teammate, U.sam]);
  });
});
