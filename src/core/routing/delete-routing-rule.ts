import { requirePermission, type Principal } from '../access/index.js';
import { AppError } from '../errors.js';
import type { RoutingRulesStore } from './routing-store.js';

/**
 * Removes a routing rule (PRODUCT.md §4); the rules after it move up, under the workspace's
 * rule-order lock. Needs settings.manage; a rule of another workspace is not found.
 */
export interface DeleteRoutingRuleInput {
  actor: Principal;
  workspaceId: string;
  ruleId: string;
}

export interface DeleteRoutingRuleDeps {
  store: RoutingRulesStore;
}

export async function deleteRoutingRule(
  deps: DeleteRoutingRuleDeps,
  input: DeleteRoutingRuleInput,
): Promise<void> {
  const { actor, workspaceId, ruleId } = input;
  requirePermission(actor, 'settings.manage');
  await deps.store.transaction(async (tx) => {
    await tx.lockRuleOrder(workspaceId);
    if (!(await tx.deleteRule(workspaceId, ruleId)))
      throw new AppError('not_found', 'no such routing rule');
    await tx.audit({
      workspaceId,
      actorUserId: actor.userId,
      action: 'routing_rule.delete',
      targetType: 'routing_rule',
      targetId: ruleId,
    });
  });
}
