import { activeTeam, type WorkspaceAccessFacts } from '../access/index.js';
import { AppError } from '../errors.js';
import type { RoutingRuleSpec } from './rules.js';

/**
 * A rule's target must be a member of this workspace or a team that may take chats
 * (`activeTeam`: the routing that assigns follows the same rule, a suspended or deleted
 * team's queue is HQ's); `invalid_input` otherwise, with no hints across workspaces.
 */
export function assertRuleTarget(facts: WorkspaceAccessFacts, spec: RoutingRuleSpec): void {
  const target = spec.target;
  const found =
    target.type === 'team'
      ? activeTeam(facts, target.teamId)
      : facts.members.find((m) => m.userId === target.userId);
  if (!found)
    throw new AppError('invalid_input', 'the rule’s target is not in this workspace', {
      details: [{ path: 'body.target', message: 'no such active team or member' }],
    });
}
