import { describe, expect, it } from 'vitest';
import {
  routeChat,
  roundRobinKey,
  type RoutingRuleInput,
} from '../../../src/core/routing/index.js';
import { T, U, chatOn, hqAccount, userAccount, type UserKey } from '../access/world.js';
import { routeInput, rule, silentRoles, type Scenario } from './fixtures.js';

const toSales = (o: Partial<RoutingRuleInput> = {}, position?: number) =>
  rule({ name: 'Sales', target: { type: 'team', teamId: T.sales }, ...o }, position);
const route = (s: Scenario) => routeChat(routeInput(s));
const user = (k: UserKey) => ({ type: 'user', userId: U[k] });
const why = (d: { reasons: readonly string[] }) => d.reasons.join('\n');

/**
 * On a chat that came in on HQ's account, team Sales (with Sales-EU) has seven members; four
 * may reply once it is theirs: Adam, Cora, Olga, Tina (user-id order). Alex, Sam and Eva are
 * Agents, who answer only through accounts they connected (PRODUCT.md §3.3).
 */
const salesOnHq = ['admin', 'collaborator', 'owner', 'teammate'] as const;

describe('which rule applies', () => {
  it('no rules: the chat stays unassigned, in HQ’s queue', () => {
    const d = route({});
    expect(d).toMatchObject({ rule: null, target: null, strategy: null });
    expect(why(d)).toMatch(/no routing rules.*HQ's queue/);
  });

  it('no rule matches: unassigned, and every rule says why not', () => {
    const d = route({
      rules: [
        toSales({ name: 'Refunds', conditions: [{ kind: 'keyword', keyword: 'refund' }] }, 0),
        toSales(
          { name: 'Sam’s line', conditions: [{ kind: 'channel', channelIds: ['ch-sam'] }] },
          1,
        ),
      ],
      text: 'hello',
    });
    expect(d.target).toBeNull();
    expect(d.reasons).toEqual([
      'rule 0 "Refunds" does not match: the first message does not contain the word "refund"',
      'rule 1 "Sam’s line" does not match: it came in on channel account ch-hq, not one of ch-sam',
      "no rule matches: the chat stays unassigned, in HQ's queue",
    ]);
  });

  it('rules are tried by position, disabled ones skipped; the first match wins', () => {
    const late = rule({ name: 'Catch-all', target: { type: 'user', userId: U.owner } }, 9);
    const off = rule({ name: 'Off', enabled: false, target: { type: 'user', userId: U.admin } }, 1);
    const first = rule({ name: 'Tina', target: { type: 'user', userId: U.teammate } }, 2);
    const d = route({ rules: [late, first, off] });
    expect(d.rule).toEqual({ id: first.id, name: 'Tina' });
    expect(d.target).toEqual(user('teammate'));
    expect(d.reasons[0]).toBe('rule 1 "Off" is disabled');
    expect(why(d)).not.toContain('Catch-all');
  });
});

describe('round_robin', () => {
  it('hands chats in turn by user id, skipping who may not reply, and wraps around', () => {
    const rules = [toSales({ strategy: 'round_robin' })];
    let roundRobin: Record<string, string> = {};
    const picked: string[] = [];
    for (let i = 0; i < 6; i++) {
      const d = route({ rules, roundRobin });
      if (d.target?.type !== 'user') throw new Error(why(d));
      picked.push(d.target.userId);
      roundRobin = { ...d.roundRobin };
      expect(d.strategy).toBe('round_robin');
    }
    const turn = salesOnHq.map((k) => U[k]);
    expect(picked).toEqual([...turn, ...turn.slice(0, 2)]);
    expect(roundRobin).toEqual({ [roundRobinKey(T.sales)]: U.collaborator });
  });

  it('after a user who is no longer eligible, the turn goes to the next one by id', () => {
    const d = route({
      rules: [toSales()],
      roundRobin: { [roundRobinKey(T.sales)]: U.agent },
    });
    expect(d.target).toEqual(user('collaborator'));
    expect(why(d)).toContain('round_robin picks Cora: next in turn after Alex');
  });

  it('ignores capacity: it is a least_open setting', () => {
    const d = route({ rules: [toSales()], capacity: { admin: 0 } });
    expect(d.target).toEqual(user('admin'));
  });
});

describe('least_open', () => {
  const rules = [toSales({ strategy: 'least_open' })];

  it('picks the eligible member with the fewest open chats; ties go to the first user id', () => {
    const d = route({
      rules,
      open: { admin: 3, collaborator: 1, owner: 1, teammate: 2, agent: 0 },
    });
    expect(d.target).toEqual(user('collaborator'));
    expect(d.strategy).toBe('least_open');
    expect(why(d)).toContain('least_open picks Cora: fewest open chats (1) of 4 under capacity');
    expect(d.roundRobin).toEqual({});
  });

  it('members at capacity are not eligible', () => {
    const d = route({
      rules,
      open: { admin: 3, collaborator: 1, owner: 2, teammate: 2 },
      capacity: { collaborator: 1, owner: 5 },
    });
    expect(d.target).toEqual(user('owner'));
    expect(why(d)).toContain('Cora is at capacity (1 of 1 open chats)');
  });

  it('everyone at capacity: the chat waits in the team’s queue', () => {
    const d = route({ rules, capacity: { admin: 0, collaborator: 0, owner: 0, teammate: 0 } });
    expect(d.target).toEqual({ type: 'team', teamId: T.sales });
    expect(d.strategy).toBe('least_open');
    expect(why(d)).toContain("the chat waits in team Sales's queue");
  });

  it('a team includes its sub-teams: Eva of Sales-EU gets a chat on her own account', () => {
    const chat = chatOn(userAccount('eva'));
    const open = { admin: 1, collaborator: 1, owner: 1, teammate: 1, sam: 0, agent: 0 };
    expect(route({ rules, chat, open }).target).toEqual(user('eva'));
    const euSuspended = route({
      rules,
      chat,
      open,
      world: { teamStatus: { salesEu: 'suspended' } },
    });
    expect(euSuspended.target).toEqual(user('admin'));
  });
});

describe('sticky', () => {
  const sticky = (o: Partial<RoutingRuleInput> = {}) => [toSales({ strategy: 'sticky', ...o })];

  it('goes back to the contact’s last assignee when eligible, whatever their load', () => {
    const d = route({
      rules: sticky(),
      last: 'teammate',
      open: { teammate: 9 },
      capacity: { teammate: 1 },
    });
    expect(d).toMatchObject({ target: user('teammate'), strategy: 'sticky' });
    expect(why(d)).toContain("sticky picks Tina, the contact's last assignee");
  });

  it('falls back to least_open by default when the last assignee is suspended', () => {
    const d = route({
      rules: sticky(),
      last: 'teammate',
      world: { status: { teammate: 'suspended' } },
      open: { admin: 2, collaborator: 2, owner: 1 },
    });
    expect(d).toMatchObject({ target: user('owner'), strategy: 'least_open' });
    expect(why(d)).toContain(
      "sticky: the contact's last assignee is not eligible (Tina is suspended); falling back to least_open",
    );
  });

  it('falls back when the last assignee is not in the team, or could not reply', () => {
    const otto = route({ rules: sticky(), last: 'otto', open: { admin: 1 } });
    expect(otto.target).toEqual(user('collaborator'));
    expect(why(otto)).toContain("the contact's last assignee Otto is not in this team");
    const alex = route({ rules: sticky(), last: 'agent' });
    expect(alex.target).toEqual(user('admin'));
    expect(why(alex)).toMatch(/last assignee is not eligible \(Alex could not reply/);
  });

  it('falls back to round_robin when configured, moving its cursor', () => {
    const d = route({
      rules: sticky({ stickyFallback: 'round_robin' }),
      last: null,
      roundRobin: { [roundRobinKey(T.sales)]: U.admin },
    });
    expect(d).toMatchObject({ target: user('collaborator'), strategy: 'round_robin' });
    expect(d.roundRobin).toEqual({ [roundRobinKey(T.sales)]: U.collaborator });
    expect(why(d)).toContain(
      'sticky: the contact has no previous assignee; falling back to round_robin',
    );
  });
});

describe('eligibility: only active members who may reply to the chat once it is theirs', () => {
  it('suspended, revoked, unable to reply or to be assigned: never picked, each with its reason', () => {
    const d = route({
      rules: [toSales()],
      world: {
        status: { owner: 'suspended', admin: 'revoked' },
        roles: [silentRoles.reader, silentRoles.nobody],
      },
      memberRole: { collaborator: silentRoles.reader.id, teammate: silentRoles.nobody.id },
    });
    expect(d.target).toEqual({ type: 'team', teamId: T.sales });
    const text = why(d);
    expect(text).toContain('0 eligible');
    expect(text).toContain('not eligible: Olga is suspended');
    expect(text).toContain('not eligible: Adam is revoked');
    expect(text).toContain('not eligible: Tina cannot be assigned chats (chat.view is "none")');
    expect(text).toMatch(
      /not eligible: Cora could not reply to it once assigned \(access check: your workspace role Reader gives chat\.reply "none"; level "none" covers no chat\)/,
    );
    expect(text).toMatch(
      /not eligible: Alex could not reply to it once assigned \(access check: .*channel\.use "own" does not let you send through an account owned by HQ\)/,
    );
  });

  it('an Agent is eligible for chats on an account they connected', () => {
    const d = route({
      rules: [toSales({ strategy: 'least_open' })],
      chat: chatOn(userAccount('sam')),
      open: { admin: 1, collaborator: 1, owner: 1, teammate: 1 },
    });
    expect(d.target).toEqual(user('sam'));
    expect(why(d)).toContain('not eligible: Alex could not reply');
  });

  it('a restriction that keeps replies to assigned chats still lets the member take it', () => {
    const d = route({
      rules: [rule({ name: 'Tina', target: { type: 'user', userId: U.teammate } })],
      world: { restrictions: { teammate: { chatVisibility: 'self' } } },
    });
    expect(d.target).toEqual(user('teammate'));
  });

  it('a team where nobody may reply keeps the chat in its queue', () => {
    const d = route({
      rules: [rule({ name: 'Support', target: { type: 'team', teamId: T.support } })],
    });
    expect(d).toMatchObject({
      target: { type: 'team', teamId: T.support },
      strategy: 'round_robin',
    });
    expect(d.reasons.slice(1)).toEqual([
      'the target is team Support with its sub-teams: 1 members, 0 eligible',
      expect.stringMatching(/^not eligible: Otto could not reply to it once assigned/),
      "nobody in team Support can take it now: the chat waits in team Support's queue",
    ]);
  });

  it('a suspended or unknown team reaches nobody: HQ’s queue', () => {
    const rules = [rule({ name: 'Legacy', target: { type: 'team', teamId: T.legacy } })];
    const d = route({ rules, world: { teamStatus: { legacy: 'suspended' } } });
    expect(d).toMatchObject({ rule: { name: 'Legacy' }, target: null });
    expect(why(d)).toContain(
      "team Legacy is suspended, deleted or unknown: the chat stays unassigned, in HQ's queue",
    );
  });
});

describe('a user target', () => {
  const toUser = (userId: string) =>
    rule({ name: 'Direct', target: { type: 'user', userId }, strategy: 'least_open' });

  it('gets the chat when eligible, without strategy or capacity', () => {
    const d = route({ rules: [toUser(U.collaborator)], capacity: { collaborator: 0 } });
    expect(d).toMatchObject({ target: user('collaborator'), strategy: null });
    expect(why(d)).toContain("assigned to Cora, the rule's target user");
  });

  it.each([
    [
      'suspended',
      { world: { status: { teammate: 'suspended' } } },
      U.teammate,
      'Tina is suspended',
    ],
    ['an Agent on HQ’s account', {}, U.agent, 'Alex could not reply to it once assigned'],
    [
      'not a member',
      {},
      'u-stranger',
      'the target user u-stranger is not a member of this workspace',
    ],
  ] as const)('leaves the chat unassigned when %s', (_what, s, target, reason) => {
    const d = route({ ...(s as Scenario), rules: [toUser(target)] });
    expect(d.target).toBeNull();
    expect(why(d)).toContain(reason);
    expect(why(d)).toContain("the chat stays unassigned, in HQ's queue");
  });
});

it('explains a whole decision', () => {
  const d = route({
    rules: [
      rule(
        {
          name: 'VIP',
          conditions: [
            { kind: 'contact_field', field: 'fields.tier', op: 'equals', value: 'gold' },
          ],
          target: { type: 'user', userId: U.owner },
        },
        0,
      ),
      rule(
        {
          name: 'Orders',
          conditions: [
            { kind: 'channel', channelIds: [hqAccount.id] },
            { kind: 'regex', pattern: 'order\\s*#?\\d+' },
          ],
          target: { type: 'team', teamId: T.sales },
          strategy: 'least_open',
        },
        1,
      ),
    ],
    text: 'Where is order #123?',
    open: { admin: 2, collaborator: 4, owner: 3, teammate: 2 },
    capacity: { admin: 2 },
  });
  expect(d).toMatchObject({
    target: user('teammate'),
    strategy: 'least_open',
    rule: { name: 'Orders' },
  });
  expect(d.reasons).toEqual([
    `rule 0 "VIP" does not match: the contact's field "tier" does not equal "gold"`,
    'rule 1 "Orders" matches: it came in on channel account ch-hq (one of ch-hq); the first message matches /order\\s*#?\\d+/i',
    'the target is team Sales with its sub-teams: 7 members, 4 eligible (Adam, Cora, Olga, Tina)',
    expect.stringMatching(/^not eligible: Alex could not reply/),
    expect.stringMatching(/^not eligible: Eva could not reply/),
    expect.stringMatching(/^not eligible: Sam could not reply/),
    'Adam is at capacity (2 of 2 open chats)',
    'least_open picks Tina: fewest open chats (2) of 3 under capacity',
  ]);
});
