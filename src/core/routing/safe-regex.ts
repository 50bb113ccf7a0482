/**
 * Admins write the regular expressions of routing rules, and the router runs them on text that
 * strangers send. A backtracking engine (V8's included) can take exponential or high-polynomial
 * time on a hostile pattern or a hostile message: `/.*a.*b.*c/` alone needs ~20 s on 1,000
 * characters of "abab…" in Node 20. Rejecting "nested quantifiers" does not catch that class, and
 * rejecting every pattern with several `.*` would refuse ordinary rules.
 *
 * So the guard has two layers:
 * 1. At rule creation a pattern must be short (`MAX_PATTERN_LENGTH`), compile as a JavaScript
 *    `u`-mode regex, use only what a finite automaton can run (no backreferences, no lookaround),
 *    keep its expanded size bounded (`MAX_REPEAT`, `MAX_PROGRAM`), and contain no repetition
 *    inside a repetition (`(a+)+`, `(\w+\s?)*`): that is the exponential shape under any
 *    backtracking engine that may one day see the stored pattern (an admin UI's preview), and no
 *    routing condition needs it.
 * 2. Matching never backtracks: the pattern is compiled to an automaton and run as a Thompson
 *    state-set simulation, O(text × pattern), on at most the first `MAX_TEXT_EXAMINED`
 *    characters (applied by the caller). No pattern that passes (1) can stall routing.
 *
 * Semantics follow JavaScript's `u` flag (plus `i` unless case-sensitive), with one deliberate
 * difference: `\w`, `\W`, `\b` and `\B` treat letters and digits of every script as word
 * characters, so `\bzamówienie\b` or `\bзаказ\b` work as a Polish or Russian admin expects.
 */

import {
  MAX_PROGRAM,
  PatternProblem,
  compile,
  run,
  type CharTest,
  type PatternNode,
} from './regex-automaton.js';
import { WORD_CHARS, isWordChar } from './word-chars.js';

export { MAX_PROGRAM };
export const MAX_PATTERN_LENGTH = 200;
/** Largest count in `{n}`, `{n,}` or `{n,m}`. */
export const MAX_REPEAT = 100;

/** A pattern that passed the guard, ready to test text in linear time. */
export interface SafePattern {
  readonly source: string;
  readonly caseSensitive: boolean;
  test(text: string): boolean;
}

export type CompiledPattern = { ok: true; pattern: SafePattern } | { ok: false; problem: string };

/** Compiles an admin's pattern, or says in one sentence why it is refused. */
export function compileRoutingPattern(
  source: string,
  options: { caseSensitive?: boolean } = {},
): CompiledPattern {
  const caseSensitive = options.caseSensitive ?? false;
  const flags = caseSensitive ? 'u' : 'iu';
  if (source.length > MAX_PATTERN_LENGTH) {
    return { ok: false, problem: `is longer than ${MAX_PATTERN_LENGTH} characters` };
  }
  try {
    new RegExp(source, flags);
  } catch (error) {
    return { ok: false, problem: `is not a valid regular expression (${messageOf(error)})` };
  }
  try {
    const program = compile(parse(source, flags));
    return { ok: true, pattern: { source, caseSensitive, test: (text) => run(program, text) } };
  } catch (error) {
    if (error instanceof PatternProblem) return { ok: false, problem: error.message };
    throw error;
  }
}

const MAX_CACHED_PATTERNS = 1000;
const compiledPatterns = new Map<string, CompiledPattern>();

/**
 * `compileRoutingPattern`, remembered: every new chat runs the same few rules, and compiling
 * costs more than matching. The memo is bounded and only ever holds pure results.
 */
export function cachedRoutingPattern(
  source: string,
  options: { caseSensitive?: boolean } = {},
): CompiledPattern {
  const key = `${options.caseSensitive ? 's' : 'i'}:${source}`;
  const hit = compiledPatterns.get(key);
  if (hit) return hit;
  if (compiledPatterns.size >= MAX_CACHED_PATTERNS) compiledPatterns.clear();
  const compiled = compileRoutingPattern(source, options);
  compiledPatterns.set(key, compiled);
  return compiled;
}

/** Why `source` cannot be a routing pattern, or undefined when it can. */
export function routingPatternProblem(source: string): string | undefined {
  const compiled = compileRoutingPattern(source);
  return compiled.ok ? undefined : compiled.problem;
}

const lineTerminators = new Set(['\n', '\r', '\u2028', '\u2029']);
const spaceChar = /^\s$/u;
const digitChar = /^[0-9]$/;

// ---------------------------------------------------------------------------------------------
// Parsing: the pattern already compiles as a `u`-mode JavaScript regex, so only its shape is
// checked here, not its syntax.

type Node = PatternNode;

interface Cursor {
  readonly cps: readonly string[];
  pos: number;
  readonly flags: string;
}

const peek = (cur: Cursor, ahead = 0): string | undefined => cur.cps[cur.pos + ahead];

function parse(source: string, flags: string): Node {
  const cur: Cursor = { cps: Array.from(source), pos: 0, flags };
  const node = parseAlternation(cur);
  if (cur.pos < cur.cps.length) throw new PatternProblem(`has an unexpected "${peek(cur)}"`);
  return node;
}

function parseAlternation(cur: Cursor): Node {
  const options = [parseSequence(cur)];
  while (peek(cur) === '|') {
    cur.pos++;
    options.push(parseSequence(cur));
  }
  return options.length === 1 ? (options[0] as Node) : { kind: 'alt', options };
}

function parseSequence(cur: Cursor): Node {
  const items: Node[] = [];
  for (let c = peek(cur); c !== undefined && c !== '|' && c !== ')'; c = peek(cur)) {
    items.push(parseQuantified(cur, parseAtom(cur)));
  }
  return { kind: 'seq', items };
}

const repeats = (max: number | null) => max === null || max > 1;

function containsRepetition(node: Node): boolean {
  switch (node.kind) {
    case 'repeat':
      return repeats(node.max) || containsRepetition(node.body);
    case 'seq':
      return node.items.some(containsRepetition);
    case 'alt':
      return node.options.some(containsRepetition);
    default:
      return false;
  }
}

function parseQuantified(cur: Cursor, atom: Node): Node {
  const bounds = parseQuantifier(cur);
  if (!bounds) return atom;
  if (peek(cur) === '?') cur.pos++; // lazy or greedy: the same text matches
  if (repeats(bounds.max) && containsRepetition(atom)) {
    throw new PatternProblem(
      'repeats a group that itself repeats (a nested quantifier such as "(a+)+"), the shape of catastrophic backtracking',
    );
  }
  return { kind: 'repeat', body: atom, ...bounds };
}

function parseQuantifier(cur: Cursor): { min: number; max: number | null } | undefined {
  const c = peek(cur);
  if (c === '*' || c === '+' || c === '?') {
    cur.pos++;
    return { min: c === '+' ? 1 : 0, max: c === '?' ? 1 : null };
  }
  if (c !== '{') return undefined;
  const rest = cur.cps.slice(cur.pos, cur.pos + 24).join('');
  const m = /^\{(\d+)(,(\d*))?\}/.exec(rest);
  if (!m) throw new PatternProblem('has a malformed "{…}" repetition');
  cur.pos += Array.from(m[0]).length;
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : m[3] ? Number(m[3]) : null;
  if (min > MAX_REPEAT || (max ?? 0) > MAX_REPEAT) {
    throw new PatternProblem(`repeats more than ${MAX_REPEAT} times`);
  }
  return { min, max };
}

function parseAtom(cur: Cursor): Node {
  const c = cur.cps[cur.pos++] as string;
  switch (c) {
    case '(':
      return parseGroup(cur);
    case '[':
      return { kind: 'char', test: parseClass(cur) };
    case '.':
      return { kind: 'char', test: (x) => !lineTerminators.has(x) };
    case '^':
      return { kind: 'assert', at: 'start' };
    case '$':
      return { kind: 'assert', at: 'end' };
    case '\\':
      return parseEscape(cur);
    default:
      return { kind: 'char', test: literalTest(c, cur.flags) };
  }
}

function parseGroup(cur: Cursor): Node {
  if (peek(cur) === '?') {
    const [kind, next] = [peek(cur, 1), peek(cur, 2)];
    if (kind === ':') cur.pos += 2;
    else if (kind === '<' && next !== '=' && next !== '!') {
      while (peek(cur) !== undefined && peek(cur) !== '>') cur.pos++; // the name does not matter
      cur.pos++;
    } else {
      throw new PatternProblem(
        'uses lookahead or lookbehind; only "(…)", "(?:…)" and "(?<name>…)" groups are supported',
      );
    }
  }
  const inner = parseAlternation(cur);
  cur.pos++; // ')'
  return inner;
}

/** A character class, handed to the native engine as a one-character test (no backtracking). */
function parseClass(cur: Cursor): CharTest {
  let source = '[';
  for (;;) {
    const c = cur.cps[cur.pos++];
    if (c === undefined) throw new PatternProblem('has an unterminated "[…]"');
    if (c === ']') break;
    if (c !== '\\') {
      source += c;
      continue;
    }
    const e = cur.cps[cur.pos++] ?? '';
    if (e === 'W') {
      throw new PatternProblem('uses \\W inside "[…]"; write a negated class "[^…]" instead');
    }
    source += e === 'w' ? WORD_CHARS : `\\${e}`;
  }
  return nativeCharTest(`${source}]`, cur.flags);
}

/** Escapes that are a character class or an assertion of their own. */
const classEscapes: Readonly<Record<string, Node>> = {
  d: { kind: 'char', test: (x) => digitChar.test(x) },
  D: { kind: 'char', test: (x) => !digitChar.test(x) },
  s: { kind: 'char', test: (x) => spaceChar.test(x) },
  S: { kind: 'char', test: (x) => !spaceChar.test(x) },
  w: { kind: 'char', test: (x) => isWordChar(x) },
  W: { kind: 'char', test: (x) => !isWordChar(x) },
  b: { kind: 'assert', at: 'word_boundary' },
  B: { kind: 'assert', at: 'not_word_boundary' },
};

function parseEscape(cur: Cursor): Node {
  const e = peek(cur) ?? '';
  const node = Object.hasOwn(classEscapes, e) ? classEscapes[e] : undefined;
  if (node) {
    cur.pos++;
    return node;
  }
  if (e === 'k' || /^[1-9]$/.test(e)) {
    throw new PatternProblem('uses a backreference, which no linear-time matcher can run');
  }
  return { kind: 'char', test: nativeCharTest(readEscape(cur), cur.flags) };
}

/** The source of one escape that stands for one character (`\u{…}`, `\x41`, `\p{L}`, `\.`…). */
function readEscape(cur: Cursor): string {
  const start = cur.pos;
  const e = cur.cps[cur.pos++];
  const take = (n: number) => (cur.pos = Math.min(cur.pos + n, cur.cps.length));
  const takeBraces = () => {
    while (cur.pos < cur.cps.length && cur.cps[cur.pos - 1] !== '}') cur.pos++;
  };
  if ((e === 'u' || e === 'p' || e === 'P') && peek(cur) === '{') takeBraces();
  else if (e === 'u') {
    take(4);
    // A surrogate pair written as two escapes is one character in `u` mode.
    const high = parseInt(cur.cps.slice(start + 1, cur.pos).join(''), 16);
    if (high >= 0xd800 && high <= 0xdbff && peek(cur) === '\\' && peek(cur, 1) === 'u') take(6);
  } else if (e === 'x') take(2);
  else if (e === 'c') take(1);
  return `\\${cur.cps.slice(start, cur.pos).join('')}`;
}

function nativeCharTest(source: string, flags: string): CharTest {
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${source})$`, flags);
  } catch (error) {
    throw new PatternProblem(`has an invalid "${source}" (${messageOf(error)})`);
  }
  // Messages use few distinct characters: remember the answers (up to a bound).
  const known = new Map<string, boolean>();
  return (x) => {
    let answer = known.get(x);
    if (answer === undefined) {
      answer = re.test(x);
      if (known.size < 512) known.set(x, answer);
    }
    return answer;
  };
}

const escapeSyntax = (c: string) => c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');

function literalTest(c: string, flags: string): CharTest {
  const caseless = c.toLowerCase() === c && c.toUpperCase() === c;
  if (!flags.includes('i') || caseless) return (x) => x === c;
  return nativeCharTest(escapeSyntax(c), flags); // the engine's own case folding
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
