import { requirePermission, type AccessFactsSource, type Principal } from '../access/index.js';
import { AppError } from '../errors.js';
import { assertRuleTarget } from './rule-target.js';
import type { RoutingRule, RoutingRuleSpec } from './rules.js';
import type { RoutingRulesStore } from './routing-store.js';

/**
 * Replaces a routing rule's content (PRODUCT.md §4); its position stays. Needs
 * settings.manage; the new target must be a member or an active team of the workspace. A rule
 * of another workspace is not found.
 */
export interface UpdateRoutingRuleInput {
  actor: Principal;
  workspaceId: string;
  ruleId: string;
  spec: RoutingRuleSpec;
}

export interface UpdateRoutingRuleDeps {
  store: RoutingRulesStore;
  access: AccessFactsSource;
}

export async function updateRoutingRule(
  deps: UpdateRoutingRuleDeps,
  input: UpdateRoutingRuleInput,
): Promise<RoutingRule> {
  const { actor, workspaceId, ruleId, spec } = input;
  requirePermission(actor, 'settings.manage');
  assertRuleTarget(await deps.access.workspaceAccess(workspaceId), spec);
  return deps.store.transaction(async (tx) => {
    const rule = await tx.updateRule(workspaceId, ruleId, spec);
    if (!rule) throw new AppError('not_found', 'no such routing rule');
    await tx.audit({
      workspaceId,
      actorUserId: actor.userId,
      action: 'routing_rule.update',
      targetType: 'routing_rule',
      targetId: ruleId,
      after: spec,
    });
    return rule;
  });
}
