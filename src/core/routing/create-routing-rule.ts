import { requirePermission, type AccessFactsSource, type Principal } from '../access/index.js';
import { assertRuleTarget } from './rule-target.js';
import type { RoutingRule, RoutingRuleSpec } from './rules.js';
import type { RoutingRulesStore } from './routing-store.js';

/**
 * Adds a routing rule (PRODUCT.md §4), tried after the existing ones unless `position` is
 * given (a position past the end is the end). Needs settings.manage; the target must be a
 * member or an active team of the workspace (`assertRuleTarget`). Positions are decided under
 * the workspace's rule-order lock, so they stay 0…n-1.
 */
export interface CreateRoutingRuleInput {
  actor: Principal;
  workspaceId: string;
  spec: RoutingRuleSpec;
  position?: number;
}

export interface CreateRoutingRuleDeps {
  store: RoutingRulesStore;
  access: AccessFactsSource;
}

export async function createRoutingRule(
  deps: CreateRoutingRuleDeps,
  input: CreateRoutingRuleInput,
): Promise<RoutingRule> {
  const { actor, workspaceId, spec, position } = input;
  requirePermission(actor, 'settings.manage');
  assertRuleTarget(await deps.access.workspaceAccess(workspaceId), spec);
  return deps.store.transaction(async (tx) => {
    const order = await tx.lockRuleOrder(workspaceId);
    const at = Math.min(position ?? order.length, order.length);
    const rule = await tx.insertRule(workspaceId, at, spec);
    await tx.audit({
      workspaceId,
      actorUserId: actor.userId,
      action: 'routing_rule.create',
      targetType: 'routing_rule',
      targetId: rule.id,
      after: spec,
    });
    return rule;
  });
}
