import type { Principal } from '../access/index.js';
import { atCapacity, type Load } from './eligibility.js';
import type { RoutingStrategy, StickyFallback } from './rules.js';

/**
 * Round-robin turns, by cursor key: the last user each team target handed a chat to. The
 * next turn goes to the first eligible member after that user in user-id order, so turns stay
 * fair when members join, leave or are skipped, and a crash between two chats loses nothing.
 */
export type RoundRobinState = Readonly<Record<string, string>>;

/** The round-robin cursor of a team target (the form of `routing_cursors.target_key`). */
export const roundRobinKey = (teamId: string): string => `team:${teamId}`;

export interface StrategyInput {
  strategy: RoutingStrategy;
  /** What `sticky` falls back to. */
  fallback: StickyFallback;
  teamId: string;
  /** The members who may reply to the chat, sorted by user id: ties go to the first. */
  eligible: readonly Principal[];
  /** Why each excluded member of the team may not have it, by user id. */
  excluded: ReadonlyMap<string, string>;
  loadOf: (userId: string) => Load;
  nameOf: (userId: string) => string;
  lastAssigneeUserId: string | null;
  roundRobin: RoundRobinState;
}

export interface StrategyPick {
  /** Null: nobody could be picked; the chat waits in the team's queue. */
  userId: string | null;
  /** The strategy that decided: sticky's fallback when sticky fell back. */
  strategy: RoutingStrategy;
  roundRobin: RoundRobinState;
  reasons: string[];
}

/** One responder among the eligible members, by the rule's strategy. */
export function pickResponder(input: StrategyInput): StrategyPick {
  switch (input.strategy) {
    case 'round_robin':
      return roundRobin(input);
    case 'least_open':
      return leastOpen(input);
    case 'sticky':
      return sticky(input);
  }
}

function roundRobin(input: StrategyInput): StrategyPick {
  const key = roundRobinKey(input.teamId);
  const last = Object.hasOwn(input.roundRobin, key) ? input.roundRobin[key] : undefined;
  const ids = input.eligible.map((p) => p.userId);
  const next = last === undefined ? ids[0] : (ids.find((id) => id > last) ?? ids[0]);
  const base = { strategy: 'round_robin' as const, roundRobin: input.roundRobin };
  if (next === undefined) return { ...base, userId: null, reasons: [] };
  const turn =
    last === undefined ? 'first in turn' : `next in turn after ${input.nameOf(last)} (by user id)`;
  return {
    ...base,
    userId: next,
    roundRobin: { ...input.roundRobin, [key]: next },
    reasons: [`round_robin picks ${input.nameOf(next)}: ${turn}`],
  };
}

/** Fewest open chats wins; members at their capacity are not eligible for it. */
function leastOpen(input: StrategyInput): StrategyPick {
  const reasons: string[] = [];
  let best: { p: Principal; open: number; ties: number } | undefined;
  let underCapacity = 0;
  for (const p of input.eligible) {
    const load = input.loadOf(p.userId);
    if (atCapacity(load)) {
      reasons.push(`${p.name} is at capacity (${load.open} of ${load.capacity} open chats)`);
      continue;
    }
    underCapacity++;
    if (!best || load.open < best.open) best = { p, open: load.open, ties: 0 };
    else if (load.open === best.open) best.ties++;
  }
  const base = { strategy: 'least_open' as const, roundRobin: input.roundRobin };
  if (!best) return { ...base, userId: null, reasons };
  const tie = best.ties > 0 ? `, tied with ${best.ties} more and first by user id` : '';
  reasons.push(
    `least_open picks ${best.p.name}: fewest open chats (${best.open}) of ${underCapacity} under capacity${tie}`,
  );
  return { ...base, userId: best.p.userId, reasons };
}

/** Back to the contact's last assignee when they are eligible; otherwise the fallback. */
function sticky(input: StrategyInput): StrategyPick {
  const last = input.lastAssigneeUserId;
  const hit = last === null ? undefined : input.eligible.find((p) => p.userId === last);
  if (hit) {
    return {
      userId: hit.userId,
      strategy: 'sticky',
      roundRobin: input.roundRobin,
      reasons: [`sticky picks ${hit.name}, the contact's last assignee`],
    };
  }
  const excluded = last === null ? undefined : input.excluded.get(last);
  const why =
    last === null
      ? 'the contact has no previous assignee'
      : excluded
        ? `the contact's last assignee is not eligible (${excluded})`
        : `the contact's last assignee ${input.nameOf(last)} is not in this team`;
  const fallen = pickResponder({ ...input, strategy: input.fallback });
  return {
    ...fallen,
    reasons: [`sticky: ${why}; falling back to ${input.fallback}`, ...fallen.reasons],
  };
}
