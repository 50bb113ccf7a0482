import { describe, expect, it } from 'vitest';
import {
  MAX_TEXT_EXAMINED,
  matchRule,
  routingConditionSchema,
  type RoutableChat,
} from '../../../src/core/routing/index.js';
import { chatOn, userAccount } from '../access/world.js';

const onSams = userAccount('sam');

function chat(
  o: Partial<Omit<RoutableChat, 'contact'>> & { contact?: Partial<RoutableChat['contact']> } = {},
): RoutableChat {
  return {
    ...chatOn(onSams),
    firstMessageText: 'Hello',
    ...o,
    contact: {
      name: 'Ana Pérez',
      phone: '+491701234567',
      email: 'ana@acme.com',
      fields: {},
      ...o.contact,
    },
  };
}

/** Does a rule with these conditions (as the API would accept them) match the chat? */
const matches = (conditions: unknown[], c: RoutableChat) =>
  matchRule({ conditions: conditions.map((x) => routingConditionSchema.parse(x)) }, c).matched;

describe('routing rule conditions', () => {
  it('no conditions: the rule matches every chat, and says so', () => {
    expect(matchRule({ conditions: [] }, chat())).toEqual({
      matched: true,
      reasons: ['it has no conditions, so it matches every chat'],
    });
  });

  it('channel account is one of the listed ids', () => {
    expect(matches([{ kind: 'channel', channelIds: ['ch-x', onSams.id] }], chat())).toBe(true);
    expect(matches([{ kind: 'channel', channelIds: ['ch-x'] }], chat())).toBe(false);
  });

  describe('contact field', () => {
    const field = (f: string, op: string, value?: string) => ({
      kind: 'contact_field',
      field: f,
      op,
      ...(value === undefined ? {} : { value }),
    });

    it('equals: whole value, any case, composed or decomposed accents alike', () => {
      expect(matches([field('name', 'equals', 'ana pérez')], chat())).toBe(true);
      expect(matches([field('name', 'equals', 'Ana Pe\u0301rez')], chat())).toBe(true);
      expect(matches([field('name', 'equals', 'Ana')], chat())).toBe(false);
    });

    it('equals on a phone compares the E.164 number, however the admin wrote it', () => {
      for (const spelling of [
        '+49 170 1234567',
        '+49 (170) 123-4567',
        '0049 170 1234567',
        '491701234567',
        '+49 (0)170 1234567',
      ]) {
        expect(matches([field('phone', 'equals', spelling)], chat()), spelling).toBe(true);
      }
      expect(matches([field('phone', 'equals', '+49 170 1234568')], chat())).toBe(false);
      // A contact stored before phones kept their plus still compares as the same number.
      const legacy = chat({ contact: { phone: '491701234567' } });
      expect(matches([field('phone', 'equals', '0049 170 1234567')], legacy)).toBe(true);
    });

    it('equals on a phone refuses a number that cannot be made international (it would match nothing)', () => {
      const parsed = routingConditionSchema.safeParse(field('phone', 'equals', '0170 1234567'));
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]).toMatchObject({
        path: ['value'],
        message: expect.stringContaining('national number') as unknown,
      });
      // A fragment to contain is not a whole number and is not checked.
      expect(routingConditionSchema.safeParse(field('phone', 'contains', '0170')).success).toBe(
        true,
      );
    });

    it('contains: a part of the value, any case', () => {
      expect(matches([field('email', 'contains', '@ACME.com')], chat())).toBe(true);
      expect(matches([field('phone', 'contains', '170')], chat())).toBe(true);
      // A fragment written internationally: its '+' or '00' is the prefix, not digits.
      expect(matches([field('phone', 'contains', '+49 170')], chat())).toBe(true);
      expect(matches([field('phone', 'contains', '0049 170')], chat())).toBe(true);
      expect(matches([field('phone', 'contains', '0049 171')], chat())).toBe(false);
      expect(matches([field('email', 'contains', 'globex')], chat())).toBe(false);
    });

    it('is set: present and not blank; a missing phone or field is not set', () => {
      const tiered = chat({ contact: { fields: { tier: 'gold', note: '  ' } } });
      expect(matches([field('fields.tier', 'is_set')], tiered)).toBe(true);
      expect(matches([field('fields.note', 'is_set')], tiered)).toBe(false);
      expect(matches([field('fields.plan', 'is_set')], tiered)).toBe(false);
      expect(matches([field('fields.constructor', 'is_set')], tiered)).toBe(false);
      expect(matches([field('phone', 'is_set')], chat({ contact: { phone: null } }))).toBe(false);
      expect(matches([field('fields.tier', 'equals', 'GOLD')], tiered)).toBe(true);
    });

    it("never quotes the contact's own value in its reasons (it may be masked for the reader)", () => {
      const c = chat();
      const conditions = [field('email', 'contains', 'acme'), field('phone', 'is_set')].map((x) =>
        routingConditionSchema.parse(x),
      );
      const text = matchRule({ conditions }, c).reasons.join('\n');
      expect(text).toContain(`the contact's email contains "acme"`);
      expect(text).not.toContain('ana@acme.com');
      expect(text).not.toContain('491701234567');
    });
  });

  describe('first message keyword', () => {
    const kw = (keyword: string) => [{ kind: 'keyword', keyword }];

    it('matches a whole word in any case', () => {
      expect(matches(kw('refund'), chat({ firstMessageText: 'I want a REFUND, now!' }))).toBe(true);
      expect(matches(kw('refund'), chat({ firstMessageText: 'refunds are slow' }))).toBe(false);
      expect(matches(kw('refund'), chat({ firstMessageText: 'nonrefund' }))).toBe(false);
    });

    it('matches whole words in every script, and phrases across any white space', () => {
      expect(matches(kw('zamówienie'), chat({ firstMessageText: 'Moje zamówienie 5' }))).toBe(true);
      expect(matches(kw('заказ'), chat({ firstMessageText: 'Где мой ЗАКАЗ?' }))).toBe(true);
      expect(matches(kw('заказ'), chat({ firstMessageText: 'заказы' }))).toBe(false);
      expect(matches(kw('order status'), chat({ firstMessageText: 'my Order\n  status?' }))).toBe(
        true,
      );
    });

    it('takes its text literally: no regex syntax', () => {
      expect(matches(kw('c++'), chat({ firstMessageText: 'a c++ job' }))).toBe(true);
      expect(matches(kw('a.b'), chat({ firstMessageText: 'axb' }))).toBe(false);
    });
  });

  describe('first message regex', () => {
    it('matches anywhere in the text, case-insensitive unless asked', () => {
      const re = (pattern: string, caseSensitive?: boolean) => [
        { kind: 'regex', pattern, caseSensitive },
      ];
      expect(matches(re('order\\s*#?\\d+'), chat({ firstMessageText: 'Re: ORDER #1234' }))).toBe(
        true,
      );
      expect(matches(re('order\\s*#?\\d+', true), chat({ firstMessageText: 'ORDER #1234' }))).toBe(
        false,
      );
      expect(matches(re('^hola'), chat({ firstMessageText: 'oh, hola' }))).toBe(false);
    });

    it(`reads only the first ${MAX_TEXT_EXAMINED} characters`, () => {
      const late = `${'x '.repeat(MAX_TEXT_EXAMINED)}refund`;
      expect(
        matches([{ kind: 'regex', pattern: 'refund' }], chat({ firstMessageText: late })),
      ).toBe(false);
      expect(
        matches([{ kind: 'keyword', keyword: 'refund' }], chat({ firstMessageText: late })),
      ).toBe(false);
    });

    it('a stored pattern the guard now refuses never matches, and says why', () => {
      const stored = { kind: 'regex' as const, pattern: '(a+)+$', caseSensitive: false };
      const result = matchRule({ conditions: [stored] }, chat({ firstMessageText: 'aaaa' }));
      expect(result.matched).toBe(false);
      expect(result.reasons[0]).toMatch(/nested quantifier.*never matches/);
    });
  });

  it('every condition must hold; the first that fails is the reason', () => {
    const conditions = [
      { kind: 'channel', channelIds: [onSams.id] },
      { kind: 'keyword', keyword: 'refund' },
      { kind: 'contact_field', field: 'email', op: 'contains', value: 'acme' },
    ].map((x) => routingConditionSchema.parse(x));
    const yes = matchRule({ conditions }, chat({ firstMessageText: 'refund please' }));
    expect(yes.matched).toBe(true);
    expect(yes.reasons).toHaveLength(3);
    const no = matchRule({ conditions }, chat({ firstMessageText: 'hello' }));
    expect(no).toEqual({
      matched: false,
      reasons: ['the first message does not contain the word "refund"'],
    });
  });
});
