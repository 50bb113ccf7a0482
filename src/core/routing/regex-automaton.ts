import { isWordChar } from './word-chars.js';

/**
 * The automaton behind routing regexes (see `safe-regex.ts`): Thompson's construction, run as a
 * set of states. Every state is visited at most once per text position, so a match costs
 * O(text × program) whatever the pattern; nothing ever backtracks.
 */

/** Why a pattern is refused, in words for the admin who wrote it. */
export class PatternProblem extends Error {}

export type CharTest = (c: string) => boolean;
export type AssertKind = 'start' | 'end' | 'word_boundary' | 'not_word_boundary';

/** A parsed pattern. */
export type PatternNode =
  | { kind: 'char'; test: CharTest }
  | { kind: 'assert'; at: AssertKind }
  | { kind: 'seq'; items: PatternNode[] }
  | { kind: 'alt'; options: PatternNode[] }
  | { kind: 'repeat'; body: PatternNode; min: number; max: number | null };

/** Largest automaton (instructions) a pattern may expand to. */
export const MAX_PROGRAM = 1000;

export type Instruction =
  | { op: 'char'; test: CharTest }
  | { op: 'split'; a: number; b: number }
  | { op: 'jump'; to: number }
  | { op: 'assert'; at: AssertKind }
  | { op: 'match' };

export function compile(node: PatternNode): Instruction[] {
  const program: Instruction[] = [];
  emit(node, program);
  if (program.length > MAX_PROGRAM) {
    throw new PatternProblem('is too large once its repetitions are expanded');
  }
  program.push({ op: 'match' });
  return program;
}

function emit(node: PatternNode, program: Instruction[]): void {
  if (program.length > MAX_PROGRAM) {
    throw new PatternProblem('is too large once its repetitions are expanded');
  }
  switch (node.kind) {
    case 'char':
      program.push({ op: 'char', test: node.test });
      return;
    case 'assert':
      program.push({ op: 'assert', at: node.at });
      return;
    case 'seq':
      for (const item of node.items) emit(item, program);
      return;
    case 'alt':
      emitAlternation(node.options, program);
      return;
    case 'repeat':
      emitRepeat(node.body, node.min, node.max, program);
      return;
  }
}

function emitAlternation(options: readonly PatternNode[], program: Instruction[]): void {
  const exits: Array<{ op: 'jump'; to: number }> = [];
  options.forEach((option, i) => {
    if (i === options.length - 1) return emit(option, program);
    const split = { op: 'split' as const, a: program.length + 1, b: -1 };
    program.push(split);
    emit(option, program);
    const exit = { op: 'jump' as const, to: -1 };
    program.push(exit);
    exits.push(exit);
    split.b = program.length;
  });
  for (const exit of exits) exit.to = program.length;
}

function emitRepeat(
  body: PatternNode,
  min: number,
  max: number | null,
  program: Instruction[],
): void {
  for (let i = 0; i < min; i++) emit(body, program);
  if (max === null) {
    const loop = program.length;
    const split = { op: 'split' as const, a: loop + 1, b: -1 };
    program.push(split);
    emit(body, program);
    program.push({ op: 'jump', to: loop });
    split.b = program.length;
    return;
  }
  const skips: Array<{ op: 'split'; a: number; b: number }> = [];
  for (let i = min; i < max; i++) {
    const split = { op: 'split' as const, a: program.length + 1, b: -1 };
    program.push(split);
    skips.push(split);
    emit(body, program);
  }
  for (const split of skips) split.b = program.length;
}

function holds(at: AssertKind, cps: readonly string[], pos: number): boolean {
  switch (at) {
    case 'start':
      return pos === 0;
    case 'end':
      return pos === cps.length;
    case 'word_boundary':
      return isWordChar(cps[pos - 1]) !== isWordChar(cps[pos]);
    case 'not_word_boundary':
      return isWordChar(cps[pos - 1]) === isWordChar(cps[pos]);
  }
}

/** Does the pattern match anywhere in `text`? Each state is visited at most once per position. */
export function run(program: readonly Instruction[], text: string): boolean {
  const cps = Array.from(text);
  const seenAt = new Int32Array(program.length).fill(-1);

  /** Adds `pc` and every state reachable without reading; true when that reaches a match. */
  const add = (list: number[], pc: number, pos: number): boolean => {
    if (seenAt[pc] === pos) return false;
    seenAt[pc] = pos;
    const inst = program[pc] as Instruction;
    switch (inst.op) {
      case 'match':
        return true;
      case 'jump':
        return add(list, inst.to, pos);
      case 'split':
        return add(list, inst.a, pos) || add(list, inst.b, pos);
      case 'assert':
        return holds(inst.at, cps, pos) && add(list, pc + 1, pos);
      case 'char':
        list.push(pc);
        return false;
    }
  };

  let current: number[] = [];
  for (let pos = 0; ; pos++) {
    if (add(current, 0, pos)) return true; // a new attempt starting here
    const c = cps[pos];
    if (c === undefined) return false;
    const next: number[] = [];
    for (const pc of current) {
      const inst = program[pc] as Extract<Instruction, { op: 'char' }>;
      if (inst.test(c) && add(next, pc + 1, pos + 1)) return true;
    }
    current = next;
  }
}
