import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allows,
  isAssignable,
  type ChatFacts,
  type MembershipStatus,
  type Principal,
  type Restrictions,
  type TeamStatus,
  type WorkspaceAccessFacts,
} from '../../../src/core/access/index.js';
import {
  matchRule,
  roundRobinKey,
  routeChat,
  type RoutingRule,
  type RoutingRuleInput,
} from '../../../src/core/routing/index.js';
import {
  T,
  U,
  chatOn,
  customRoles,
  hqAccount,
  teamAccount,
  userAccount,
  type TeamKey,
  type UserKey,
} from '../access/world.js';
import { routeInput, rule, scenarioFacts, silentRoles, type Scenario } from './fixtures.js';

const userKeys = Object.keys(U) as UserKey[];
const teamKeys = Object.keys(T) as TeamKey[];
const accounts = [...userKeys.map(userAccount), ...teamKeys.map(teamAccount), hqAccount];

const perUser = <A>(arb: fc.Arbitrary<A>) =>
  fc
    .array(arb, { minLength: userKeys.length, maxLength: userKeys.length })
    .map(
      (values) => Object.fromEntries(userKeys.map((k, i) => [k, values[i]])) as Record<UserKey, A>,
    );
const perTeam = <A>(arb: fc.Arbitrary<A>) =>
  fc
    .array(arb, { minLength: teamKeys.length, maxLength: teamKeys.length })
    .map(
      (values) => Object.fromEntries(teamKeys.map((k, i) => [k, values[i]])) as Record<TeamKey, A>,
    );
const defined = <A>(record: Record<string, A | undefined>) =>
  Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as Record<
    string,
    A
  >;

const condition = fc.oneof(
  fc
    .subarray(
      accounts.map((a) => a.id),
      { minLength: 1 },
    )
    .map((channelIds) => ({ kind: 'channel' as const, channelIds })),
  fc.constantFrom(
    {
      kind: 'contact_field' as const,
      field: 'email' as const,
      op: 'contains' as const,
      value: 'acme',
    },
    { kind: 'contact_field' as const, field: 'name' as const, op: 'equals' as const, value: 'ana' },
    { kind: 'contact_field' as const, field: 'fields.tier' as const, op: 'is_set' as const },
  ),
  fc
    .constantFrom('refund', 'hola', 'order status')
    .map((keyword) => ({ kind: 'keyword' as const, keyword })),
  fc
    .constantFrom('order\\s*#?\\d+', '^hi\\b', '.*a.*b')
    .map((pattern) => ({ kind: 'regex' as const, pattern })),
);

const target = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .constantFrom(...Object.values(T), T.sales, T.sales, 'team-gone')
      .map((teamId) => ({ type: 'team' as const, teamId })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(...Object.values(U), 'u-stranger')
      .map((userId) => ({ type: 'user' as const, userId })),
  },
);

const ruleArb: fc.Arbitrary<RoutingRule> = fc
  .record({
    enabled: fc.constantFrom(true, true, true, false),
    conditions: fc.oneof(fc.constant([]), fc.array(condition, { minLength: 1, maxLength: 2 })),
    target,
    strategy: fc.constantFrom('round_robin', 'least_open', 'sticky'),
    stickyFallback: fc.constantFrom('least_open', 'round_robin'),
    position: fc.nat(5),
  })
  .map(({ position, ...spec }) =>
    rule({ name: 'r', ...(spec as Omit<RoutingRuleInput, 'name'>) }, position),
  );

const scenario: fc.Arbitrary<Scenario> = fc.record({
  world: fc.record({
    status: perUser(
      fc.constantFrom<MembershipStatus>('active', 'active', 'active', 'suspended', 'revoked'),
    ),
    restrictions: perUser(
      fc.constantFrom<Restrictions>({}, {}, { chatVisibility: 'self' }, { chatVisibility: 'team' }),
    ),
    teamStatus: perTeam(
      fc.constantFrom<TeamStatus>('active', 'active', 'active', 'active', 'suspended', 'deleted'),
    ),
    roles: fc.constant([silentRoles.reader, silentRoles.nobody, customRoles.desk]),
  }),
  memberRole: perUser(
    fc.constantFrom(
      undefined,
      undefined,
      undefined,
      silentRoles.reader.id,
      silentRoles.nobody.id,
      customRoles.desk.id,
    ),
  ).map(defined),
  chat: fc.constantFrom(...accounts).map((account) => chatOn(account)),
  rules: fc.array(ruleArb, { minLength: 1, maxLength: 3 }),
  text: fc.constantFrom('hi there', 'I want a refund', 'order #12, order status?', 'hola', 'ab ab'),
  contact: fc.record({
    name: fc.constantFrom('Ana', 'Bo'),
    email: fc.constantFrom(null, 'ana@acme.com'),
    fields: fc.constantFrom<Record<string, string>>({}, { tier: 'gold' }),
  }),
  open: perUser(fc.nat(4)),
  capacity: perUser(fc.option(fc.nat(4), { nil: undefined })).map(defined),
  last: fc.option(fc.constantFrom(...userKeys), { nil: null }),
  roundRobin: fc
    .option(fc.constantFrom(...Object.values(U)), { nil: undefined })
    .map((last): Record<string, string> => (last ? { [roundRobinKey(T.sales)]: last } : {})),
});

/** The spec's eligibility (PRODUCT.md §4), straight from the access engine. */
const mayReply = (p: Principal, chat: ChatFacts) =>
  p.status === 'active' &&
  isAssignable(p) &&
  allows(p, 'chat.reply', { ...chat, assignee: { type: 'user', userId: p.userId } });

/** Members of an active team and its active sub-teams; undefined for an inactive team. */
function reachOf(facts: WorkspaceAccessFacts, teamId: string): Set<string> | undefined {
  const active = new Set(facts.teams.filter((t) => t.status === 'active').map((t) => t.id));
  if (!active.has(teamId)) return undefined;
  const teams = new Set([teamId]);
  for (let grew = true; grew;) {
    grew = false;
    for (const t of facts.teams) {
      if (active.has(t.id) && t.parentId && teams.has(t.parentId) && !teams.has(t.id)) {
        teams.add(t.id);
        grew = true;
      }
    }
  }
  return new Set(facts.teamMembers.filter((m) => teams.has(m.teamId)).map((m) => m.userId));
}

describe('routing over random workspaces, rules and loads', () => {
  it('picks the first matching rule, only ever an eligible user, and somebody whenever somebody is eligible', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const input = routeInput(s);
        const facts = scenarioFacts(s);
        const decision = routeChat(input);
        expect(routeChat(input), 'deterministic').toEqual(decision);

        const ordered = [...input.rules].sort(
          (a, b) => a.position - b.position || (a.id < b.id ? -1 : 1),
        );
        const expected = ordered.find((r) => r.enabled && matchRule(r, input.chat).matched);
        expect(decision.rule?.id).toBe(expected?.id);
        if (!expected) {
          expect(decision.target).toBeNull();
          return;
        }

        const load = (userId: string) => ({
          open: input.openChats[userId] ?? 0,
          cap: input.capacities[userId],
        });
        const underCapacity = (userId: string) => {
          const { open, cap } = load(userId);
          return cap === undefined || open < cap;
        };
        const chosen = decision.target?.type === 'user' ? decision.target.userId : undefined;
        if (chosen !== undefined) {
          const p = input.principals.find((x) => x.userId === chosen);
          expect(p && mayReply(p, input.chat), `${chosen} is eligible`).toBe(true);
          if (decision.strategy === 'least_open') expect(underCapacity(chosen)).toBe(true);
        }

        if (expected.target.type === 'user') {
          const p = input.principals.find(
            (x) => x.userId === (expected.target as { userId: string }).userId,
          );
          expect(decision.target).toEqual(p && mayReply(p, input.chat) ? expected.target : null);
          return;
        }
        const reach = reachOf(facts, expected.target.teamId);
        if (!reach) {
          expect(decision.target).toBeNull();
          return;
        }
        if (chosen !== undefined) expect(reach.has(chosen)).toBe(true);

        const eligible = input.principals.filter(
          (p) => reach.has(p.userId) && mayReply(p, input.chat),
        );
        const roomy = eligible.filter((p) => underCapacity(p.userId));
        const byStrategy = { round_robin: eligible.length > 0, least_open: roomy.length > 0 };
        const somebody =
          expected.strategy === 'sticky'
            ? eligible.some((p) => p.userId === input.lastAssigneeUserId) ||
              byStrategy[expected.stickyFallback]
            : byStrategy[expected.strategy];
        expect(decision.target).toEqual(
          somebody
            ? { type: 'user', userId: chosen }
            : { type: 'team', teamId: expected.target.teamId },
        );

        const key = roundRobinKey(expected.target.teamId);
        const movedCursor = decision.strategy === 'round_robin' && chosen !== undefined;
        expect(decision.roundRobin).toEqual(
          movedCursor ? { ...input.roundRobin, [key]: chosen } : input.roundRobin,
        );
      }),
      { numRuns: 1000 },
    );
  });
});
