import type { AssigneeRef, Principal } from '../access/index.js';
import {
  replyEligibility,
  teamReach,
  type Load,
  type TeamReach,
  type TeamTree,
} from './eligibility.js';
import { matchRule, type RoutableChat } from './match-rule.js';
import type { RoutingRule, RoutingStrategy } from './rules.js';
import { pickResponder, type RoundRobinState } from './strategies.js';

export interface RouteChatInput {
  /** The workspace's rules, in any order: they are tried by position, then id. */
  rules: readonly RoutingRule[];
  chat: RoutableChat;
  /** The workspace's members as the access engine sees them: the candidates. */
  principals: readonly Principal[];
  /** Teams and team memberships, for what a team target reaches. */
  teams: TeamTree;
  /** Open chats per user id; a missing user has none. */
  openChats: Readonly<Record<string, number>>;
  /** Most open chats per user id for `least_open`; a missing user has no limit. */
  capacities: Readonly<Record<string, number>>;
  /** Who the contact's previous chat was last assigned to, for `sticky`. */
  lastAssigneeUserId: string | null;
  roundRobin: RoundRobinState;
}

/** Where a new chat goes and why: plain data, to store with the chat and show on request. */
export interface RoutingDecision {
  /** The first enabled rule that matched, or null. */
  rule: { id: string; name: string } | null;
  /** A user; a team (its queue, when nobody in it was eligible); null: unassigned, HQ's queue. */
  target: AssigneeRef;
  /** The strategy that decided; null when no rule matched or the target was a user. */
  strategy: RoutingStrategy | null;
  /** The round-robin cursors after this decision (changed only when round_robin picked). */
  roundRobin: RoundRobinState;
  /** Every rule tried and why it did or did not match; who was eligible, who not and why. */
  reasons: string[];
}

type Routed = Omit<RoutingDecision, 'rule'>;

/**
 * Routes a new inbound chat (PRODUCT.md §4): the first enabled rule whose conditions all hold
 * picks a team or a user; for a team, the rule's strategy picks one eligible member. Nobody
 * eligible in the team: the chat waits in the team's queue. No rule matches, or the target is
 * gone or not eligible: the chat stays unassigned, in HQ's queue. Pure and deterministic.
 */
export function routeChat(input: RouteChatInput): RoutingDecision {
  const reasons: string[] = [];
  for (const rule of inOrder(input.rules)) {
    const label = `rule ${rule.position} "${rule.name}"`;
    if (!rule.enabled) {
      reasons.push(`${label} is disabled`);
      continue;
    }
    const match = matchRule(rule, input.chat);
    reasons.push(
      `${label} ${match.matched ? 'matches' : 'does not match'}: ${match.reasons.join('; ')}`,
    );
    if (!match.matched) continue;
    const routed =
      rule.target.type === 'team'
        ? routeToTeam(rule, rule.target.teamId, input)
        : routeToUser(rule.target.userId, input);
    return {
      rule: { id: rule.id, name: rule.name },
      ...routed,
      reasons: [...reasons, ...routed.reasons],
    };
  }
  reasons.push(
    `${input.rules.length === 0 ? 'the workspace has no routing rules' : 'no rule matches'}: ${hqQueue}`,
  );
  return { rule: null, target: null, strategy: null, roundRobin: input.roundRobin, reasons };
}

const hqQueue = "the chat stays unassigned, in HQ's queue";

function toHq(input: RouteChatInput, why: string): Routed {
  return {
    target: null,
    strategy: null,
    roundRobin: input.roundRobin,
    reasons: [`${why}: ${hqQueue}`],
  };
}

/** A user target is taken as it is: no strategy, no capacity; only eligibility counts. */
function routeToUser(userId: string, input: RouteChatInput): Routed {
  const p = input.principals.find((x) => x.userId === userId);
  if (!p) return toHq(input, `the target user ${userId} is not a member of this workspace`);
  const eligibility = replyEligibility(p, input.chat);
  if (!eligibility.eligible) {
    return toHq(input, `the target user is not eligible: ${eligibility.reason}`);
  }
  return {
    target: { type: 'user', userId },
    strategy: null,
    roundRobin: input.roundRobin,
    reasons: [`assigned to ${p.name}, the rule's target user`],
  };
}

function routeToTeam(rule: RoutingRule, teamId: string, input: RouteChatInput): Routed {
  const reach = teamReach(input.teams, teamId);
  if (!reach) {
    return toHq(input, `team ${teamName(input.teams, teamId)} is suspended, deleted or unknown`);
  }
  const { members, eligible, excluded } = screen(reach, input);
  const reasons = [
    `the target is team ${reach.name} with its sub-teams: ${members.length} members, ${eligible.length} eligible${
      eligible.length > 0 ? ` (${eligible.map((p) => p.name).join(', ')})` : ''
    }`,
    ...[...excluded.values()].map((why) => `not eligible: ${why}`),
  ];
  const pick = pickResponder({
    strategy: rule.strategy,
    fallback: rule.stickyFallback,
    teamId,
    eligible,
    excluded,
    loadOf: (userId) => loadOf(input, userId),
    nameOf: (userId) => members.find((p) => p.userId === userId)?.name ?? nameOf(input, userId),
    lastAssigneeUserId: input.lastAssigneeUserId,
    roundRobin: input.roundRobin,
  });
  reasons.push(...pick.reasons);
  const routed = { strategy: pick.strategy, roundRobin: pick.roundRobin, reasons };
  if (pick.userId !== null) return { ...routed, target: { type: 'user', userId: pick.userId } };
  reasons.push(
    `nobody in team ${reach.name} can take it now: the chat waits in team ${reach.name}'s queue`,
  );
  return { ...routed, target: { type: 'team', teamId } };
}

/** The team's members in user-id order, split into who may reply and who not (and why). */
function screen(reach: TeamReach, input: RouteChatInput) {
  const members = input.principals
    .filter((p) => reach.userIds.has(p.userId))
    .sort((a, b) => compareIds(a.userId, b.userId));
  const eligible: Principal[] = [];
  const excluded = new Map<string, string>();
  for (const p of members) {
    const e = replyEligibility(p, input.chat);
    if (e.eligible) eligible.push(p);
    else excluded.set(p.userId, e.reason);
  }
  return { members, eligible, excluded };
}

/** Code-unit order, the same in every locale (and as PostgreSQL's "C" collation sorts). */
const compareIds = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function inOrder(rules: readonly RoutingRule[]): RoutingRule[] {
  return [...rules].sort((a, b) => a.position - b.position || compareIds(a.id, b.id));
}

const lookup = (record: Readonly<Record<string, number>>, key: string) =>
  Object.hasOwn(record, key) ? record[key] : undefined;

function loadOf(input: RouteChatInput, userId: string): Load {
  return { open: lookup(input.openChats, userId) ?? 0, capacity: lookup(input.capacities, userId) };
}

function nameOf(input: RouteChatInput, userId: string): string {
  return input.principals[0]?.names.get(userId) ?? userId;
}

function teamName(tree: TeamTree, teamId: string): string {
  return tree.teams.find((t) => t.id === teamId)?.name ?? teamId;
}
