import { describe, expect, it } from 'vitest';
import { routingRuleInputSchema, ROUTING_LIMITS } from '../../../src/core/routing/index.js';

const team = { type: 'team', teamId: 'team-sales' } as const;
const issues = (input: unknown) => {
  const parsed = routingRuleInputSchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('routing rule schema (what the API accepts)', () => {
  it('applies the defaults: enabled, no conditions, round_robin, sticky falls back to least_open', () => {
    expect(routingRuleInputSchema.parse({ name: ' Everything ', target: team })).toEqual({
      name: 'Everything',
      enabled: true,
      conditions: [],
      target: team,
      strategy: 'round_robin',
      stickyFallback: 'least_open',
    });
  });

  it('accepts every condition kind', () => {
    const conditions = [
      { kind: 'channel', channelIds: ['ch-1', 'ch-2'] },
      { kind: 'contact_field', field: 'email', op: 'contains', value: 'acme.com' },
      { kind: 'contact_field', field: 'phone', op: 'equals', value: '+49 170 1234' },
      { kind: 'contact_field', field: 'fields.tier', op: 'is_set' },
      { kind: 'keyword', keyword: 'refund' },
      { kind: 'regex', pattern: 'order\\s*#?\\d+', caseSensitive: true },
      { kind: 'regex', pattern: '^hola' },
    ];
    const parsed = routingRuleInputSchema.parse({ name: 'All kinds', conditions, target: team });
    expect(parsed.conditions).toHaveLength(conditions.length);
    expect(parsed.conditions[6]).toEqual({ kind: 'regex', pattern: '^hola', caseSensitive: false });
  });

  it.each([
    ['an empty name', { name: '  ', target: team }, 'name'],
    ['a target without an id', { name: 'x', target: { type: 'team' } }, 'target.teamId'],
    ['an unknown target type', { name: 'x', target: { type: 'hq' } }, 'target.type'],
    ['an unknown strategy', { name: 'x', target: team, strategy: 'random' }, 'strategy'],
    [
      'sticky falling back to itself',
      { name: 'x', target: team, stickyFallback: 'sticky' },
      'stickyFallback',
    ],
    [
      'an unknown condition kind',
      { name: 'x', target: team, conditions: [{ kind: 'time' }] },
      'conditions.0.kind',
    ],
    [
      'a channel condition with no account',
      { name: 'x', target: team, conditions: [{ kind: 'channel', channelIds: [] }] },
      'conditions.0.channelIds',
    ],
    [
      'a contact field that does not exist',
      {
        name: 'x',
        target: team,
        conditions: [{ kind: 'contact_field', field: 'address', op: 'is_set' }],
      },
      'conditions.0.field',
    ],
    [
      'a custom field without a key',
      {
        name: 'x',
        target: team,
        conditions: [{ kind: 'contact_field', field: 'fields.', op: 'is_set' }],
      },
      'conditions.0.field',
    ],
    [
      'equals without a value',
      {
        name: 'x',
        target: team,
        conditions: [{ kind: 'contact_field', field: 'name', op: 'equals' }],
      },
      'conditions.0.value',
    ],
    [
      'is_set with a value',
      {
        name: 'x',
        target: team,
        conditions: [{ kind: 'contact_field', field: 'name', op: 'is_set', value: 'x' }],
      },
      'conditions.0',
    ],
    [
      'an empty keyword',
      { name: 'x', target: team, conditions: [{ kind: 'keyword', keyword: ' ' }] },
      'conditions.0.keyword',
    ],
    [
      'a regex that does not compile',
      { name: 'x', target: team, conditions: [{ kind: 'regex', pattern: 'order(' }] },
      'conditions.0.pattern',
    ],
    [
      'a catastrophic regex',
      { name: 'x', target: team, conditions: [{ kind: 'regex', pattern: '(a+)+$' }] },
      'conditions.0.pattern',
    ],
    ['a field nobody asked for', { name: 'x', target: team, priority: 1 }, ''],
  ])('refuses %s', (_what, input, path) => {
    const found = issues(input);
    expect(found.length).toBeGreaterThan(0);
    expect(found.some((i) => i.startsWith(`${path}:`))).toBe(true);
  });

  it(`allows at most ${ROUTING_LIMITS.conditions} conditions`, () => {
    const keyword = { kind: 'keyword', keyword: 'x' };
    const rule = (n: number) => ({ name: 'x', target: team, conditions: Array(n).fill(keyword) });
    expect(issues(rule(ROUTING_LIMITS.conditions))).toEqual([]);
    expect(issues(rule(ROUTING_LIMITS.conditions + 1))).not.toEqual([]);
  });

  it('says why a regex is refused', () => {
    const found = issues({
      name: 'x',
      target: team,
      conditions: [{ kind: 'regex', pattern: '(\\w+\\s?)*$' }],
    });
    expect(found).toEqual([
      expect.stringMatching(/^conditions\.0\.pattern: the pattern .*nested quantifier/),
    ]);
  });
});
