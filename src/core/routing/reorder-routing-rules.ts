import { requirePermission, type Principal } from '../access/index.js';
import { AppError } from '../errors.js';
import type { RoutingRule } from './rules.js';
import type { RoutingRulesStore } from './routing-store.js';

/**
 * Sets the order the workspace's routing rules are tried in (PRODUCT.md §4): `ruleIds` must
 * list every rule of the workspace exactly once, as seen under the rule-order lock (a rule
 * added meanwhile makes the list stale: `invalid_input`). Needs settings.manage. Returns the
 * rules in their new order.
 */
export interface ReorderRoutingRulesInput {
  actor: Principal;
  workspaceId: string;
  ruleIds: readonly string[];
}

export interface ReorderRoutingRulesDeps {
  store: RoutingRulesStore;
}

export async function reorderRoutingRules(
  deps: ReorderRoutingRulesDeps,
  input: ReorderRoutingRulesInput,
): Promise<RoutingRule[]> {
  const { actor, workspaceId, ruleIds } = input;
  requirePermission(actor, 'settings.manage');
  await deps.store.transaction(async (tx) => {
    const known = new Set(await tx.lockRuleOrder(workspaceId));
    if (
      ruleIds.length !== known.size ||
      new Set(ruleIds).size !== ruleIds.length ||
      !ruleIds.every((i) => known.has(i))
    )
      throw new AppError('invalid_input', 'list every rule of the workspace exactly once', {
        details: [{ path: 'body.ids', message: `expected the ${known.size} rule ids, each once` }],
      });
    await tx.setRuleOrder(workspaceId, ruleIds);
    await tx.audit({
      workspaceId,
      actorUserId: actor.userId,
      action: 'routing_rule.reorder',
      targetType: 'workspace',
      targetId: workspaceId,
      after: { ids: ruleIds },
    });
  });
  return deps.store.listRules(workspaceId);
}
