import type { AssigneeRef, OwnerRef, WorkspaceAccessFacts } from './facts.js';

/**
 * Small integer keys for a workspace's users and teams, made once per facts object and shared
 * by every principal built from it.
 *
 * A scope is a few sets of ids (assignees, account owners, the chatVisibility=team filter).
 * Held as one hash set per principal and relation, deciding a chat walked a hash table of that
 * principal's, which is rarely in the CPU's caches when the next decision is for someone else
 * (an audience goes through every principal for one chat; the event fan-out through every open
 * stream). Compiled over these keys (`KeyTable`), the same decision looks the chat's assignee
 * and owner up in one map every principal shares, which stays cached, and reads one entry of a
 * small table.
 */
export interface AccessKeys {
  readonly users: ReadonlyMap<string, number>;
  readonly teams: ReadonlyMap<string, number>;
  /** Keys run from 1 to size − 1; 0 is "no one": unassigned, HQ's account, an unknown id. */
  readonly size: number;
}

/**
 * Every user and team a scope can name: members, people in teams (whatever their membership),
 * teams. `chatScopePlan` takes its ids from nowhere else.
 */
export function accessKeys(facts: WorkspaceAccessFacts): AccessKeys {
  const users = new Map<string, number>();
  const teams = new Map<string, number>();
  let next = 1;
  const add = (map: Map<string, number>, id: string) => {
    if (!map.has(id)) map.set(id, next++);
  };
  for (const m of facts.members) add(users, m.userId);
  for (const tm of facts.teamMembers) {
    add(users, tm.userId);
    add(teams, tm.teamId);
  }
  for (const t of facts.teams) add(teams, t.id);
  return { users, teams, size: next };
}

/** The key of an assignee or an account owner; 0 for no one and for ids the keys do not know. */
export function keyOf(keys: AccessKeys, ref: AssigneeRef | OwnerRef): number {
  if (ref === null) return 0;
  if (ref.type === 'user') return keys.users.get(ref.userId) ?? 0;
  if (ref.type === 'team') return keys.teams.get(ref.teamId) ?? 0;
  return 0;
}

/** What a key is to a scope, one bit each. */
export const KEY_BIT = {
  /** Chats assigned to it are in scope. */
  assignee: 1,
  /** Chats on accounts it owns are in scope. */
  owner: 2,
  /** Under chatVisibility=team: chats assigned to it pass the filter. */
  filter: 4,
} as const;
const BITS = 3;
const BIT_MASK = (1 << BITS) - 1;

/** Scopes that mark at most this many keys keep a list of marks instead of a table per key. */
export const SPARSE_MARKS = 8;

/**
 * A scope's sets over `keys`: a table of bits per key, or — for the many narrow scopes (an
 * Agent's own account and assignments) — a short list of (key, bits) marks, so that a
 * workspace of 10,000 Agents does not hold 10,000 tables of 10,000 entries.
 */
export interface KeyTable {
  readonly keys: AccessKeys;
  /** One entry per key; empty when the table is sparse. */
  readonly dense: Uint8Array;
  /** `key << 3 | bits` for each marked key; empty when the table is dense. */
  readonly sparse: Int32Array;
}

export function keyTable(
  keys: AccessKeys,
  marks: ReadonlyArray<{
    ids: ReadonlySet<string> | readonly string[];
    kind: 'user' | 'team';
    bit: number;
  }>,
): KeyTable {
  const ids = marks.reduce((n, m) => n + ('size' in m.ids ? m.ids.size : m.ids.length), 0);
  // Few ids: a map of their bits (no table of keys.size per narrow scope). Many: straight into
  // the table — they may still name few keys (the same members as assignees and as owners),
  // which then become a list all the same.
  const bits = ids > SPARSE_MARKS ? new Uint8Array(keys.size) : new Map<number, number>();
  let marked = 0;
  for (const { ids, kind, bit } of marks) {
    const map = kind === 'user' ? keys.users : keys.teams;
    for (const id of ids) {
      const key = map.get(id);
      // `accessKeys` holds every id a plan can name; anything else is a bug, not a miss.
      if (key === undefined) throw new Error(`${kind} ${id} has no access key`);
      const before = (bits instanceof Map ? bits.get(key) : bits[key]) ?? 0;
      if (before === 0) marked++;
      if (bits instanceof Map) bits.set(key, before | bit);
      else bits[key] = before | bit;
    }
  }
  if (marked > SPARSE_MARKS && bits instanceof Uint8Array)
    return { keys, dense: bits, sparse: new Int32Array(0) };
  const sparse = new Int32Array(marked);
  let i = 0;
  for (const [key, b] of bits.entries()) if (b !== 0) sparse[i++] = (key << BITS) | b;
  return { keys, dense: new Uint8Array(0), sparse };
}

/** The bits of a key in the table (0 for key 0 and for keys the table does not mark). */
export function bitsOf(table: KeyTable, key: number): number {
  if (key === 0) return 0;
  const dense = table.dense;
  if (dense.length !== 0) return dense[key] ?? 0;
  const sparse = table.sparse;
  for (let i = 0; i < sparse.length; i++) {
    const mark = sparse[i] ?? 0;
    if (mark >>> BITS === key) return mark & BIT_MASK;
  }
  return 0;
}
