import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_PATTERN_LENGTH,
  compileRoutingPattern,
  routingPatternProblem,
} from '../../../src/core/routing/index.js';

function compiled(source: string, caseSensitive = false) {
  const result = compileRoutingPattern(source, { caseSensitive });
  if (!result.ok) throw new Error(`refused ${source}: ${result.problem}`);
  return result.pattern;
}

/** Wall-clock time of `fn`, in milliseconds. */
function timed(fn: () => unknown): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

describe('the regex guard refuses what could stall routing', () => {
  it.each([
    ['(a+)+$', /nested quantifier/],
    ['(\\w+\\s?)*$', /nested quantifier/],
    ['^(?:[a-z]+\\.)*com$', /nested quantifier/],
    ['(x{1,50}){1,50}', /nested quantifier/],
    ['^(a+)\\1$', /backreference/],
    ['(?<w>a)\\k<w>', /backreference/],
    ['refund(?=s)', /lookahead or lookbehind/],
    ['(?<!no )refund', /lookahead or lookbehind/],
    ['a{101}', /more than 100 times/],
    ['(?:a{100}b){1}c{100}d{100}e{100}f{100}g{100}h{100}i{100}j{100}k{100}', /too large/],
    ['x'.repeat(MAX_PATTERN_LENGTH + 1), /longer than 200/],
    ['order(', /not a valid regular expression/],
    ['[\\W]', /negated class/],
  ])('refuses %s', (pattern, why) => {
    expect(routingPatternProblem(pattern)).toMatch(why);
  });

  it('accepts ordinary patterns', () => {
    for (const p of ['refund', '^hola\\b', 'order\\s*#?\\d+', '(?:vip|gold) customer', '.*a.*b.*c'])
      expect(routingPatternProblem(p), p).toBeUndefined();
  });

  it('runs patterns that make a backtracking engine stall in linear time', () => {
    // Node's own engine needs ~20 s for the first on 1,000 characters; these take milliseconds.
    const cases: Array<[string, string]> = [
      ['.*a.*b.*c', 'ab'.repeat(2000)],
      ['^(a|aa)*$', `${'a'.repeat(4000)}!`],
      ['(?:a|a?)+?b', 'a'.repeat(4000)],
      ['\\d*\\d*\\d*\\d*x', '1'.repeat(4000)],
    ];
    for (const [pattern, text] of cases) {
      const p = compiled(pattern);
      expect(
        timed(() => expect(p.test(text)).toBe(false)),
        pattern,
      ).toBeLessThan(1000);
    }
  });
});

describe('routing regex semantics', () => {
  it('is case-insensitive unless asked otherwise', () => {
    expect(compiled('refund').test('REFUND please')).toBe(true);
    expect(compiled('refund', true).test('REFUND please')).toBe(false);
    expect(compiled('Straße').test('STRASSE')).toBe(new RegExp('Straße', 'iu').test('STRASSE'));
  });

  it('treats letters of every script as word characters in \\w and \\b', () => {
    expect(compiled('\\bzamówienie\\b').test('Moje zamówienie nr 5')).toBe(true);
    expect(compiled('\\bzamówienie\\b').test('zamówienieX')).toBe(false);
    expect(compiled('\\bзаказ\\b').test('мой заказ 5')).toBe(true);
    expect(compiled('\\bзаказ\\b').test('заказы')).toBe(false);
    expect(compiled('^\\w+$').test('señal')).toBe(true);
  });

  it('reads escapes, classes and groups as JavaScript does', () => {
    expect(compiled('\\u{1F600}').test('smile 😀')).toBe(true);
    expect(compiled('^.$').test('😀')).toBe(true);
    expect(compiled('\\x41\\.').test('a.')).toBe(true);
    expect(compiled('\\p{Lu}{2}', true).test('ab')).toBe(false);
    expect(compiled('[^a-c]x').test('dx')).toBe(true);
    expect(compiled('(?<tier>gold|vip) (?:client|customer)').test('VIP customer')).toBe(true);
    expect(compiled('a{2,3}b').test('ab')).toBe(false);
    expect(compiled('').test('anything')).toBe(true);
  });

  it('agrees with JavaScript RegExp on ASCII text (random patterns)', () => {
    const char = fc.constantFrom(
      ...['a', 'b', 'A', '1', ' ', '.', '\\.', '[ab]', '[^a]', '[a-c1]', '[\\w.]'],
      ...['\\d', '\\w', '\\s', '\\W', '\\D', '\\S'],
    );
    const assertion = fc.constantFrom('\\b', '\\B', '^', '$');
    const quantifier = fc.constantFrom(
      ...['', '', '', '?', '*', '+', '{2}', '{0,2}', '{1,}', '*?', '+?'],
    );
    const { pattern } = fc.letrec<{ pattern: string; piece: string; group: string }>((tie) => ({
      pattern: fc
        .array(fc.array(tie('piece'), { maxLength: 3 }), { minLength: 1, maxLength: 2 })
        .map((options) => options.map((o) => o.join('')).join('|')),
      piece: fc.oneof(
        { maxDepth: 3, depthIdentifier: 'pattern' },
        fc.tuple(char, quantifier).map(([c, q]) => c + q),
        assertion,
        tie('group'),
      ),
      group: fc
        .tuple(fc.constantFrom('(', '(?:'), tie('pattern'), quantifier)
        .map(([open, inner, q]) => `${open}${inner})${q}`),
    }));
    const text = fc.string({
      unit: fc.constantFrom('a', 'b', 'A', 'B', '1', ' ', '.', 'x', '\n'),
      maxLength: 10,
    });
    fc.assert(
      fc.property(pattern, text, fc.boolean(), (source, input, caseSensitive) => {
        const result = compileRoutingPattern(source, { caseSensitive });
        fc.pre(result.ok);
        if (!result.ok) return;
        const native = new RegExp(source, caseSensitive ? 'u' : 'iu');
        expect(result.pattern.test(input)).toBe(native.test(input));
      }),
      { numRuns: 2000 },
    );
  });
});
