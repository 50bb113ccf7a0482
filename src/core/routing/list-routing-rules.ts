import { requirePermission, type Principal } from '../access/index.js';
import type { RoutingRule } from './rules.js';
import type { RoutingRulesStore } from './routing-store.js';

/**
 * The workspace's routing rules in the order they are tried (PRODUCT.md §4), for those with
 * settings.manage: a rule's conditions tell how chats are sorted, which is settings, not chats.
 */
export interface ListRoutingRulesInput {
  actor: Principal;
  workspaceId: string;
}

export interface ListRoutingRulesDeps {
  store: Pick<RoutingRulesStore, 'listRules'>;
}

export async function listRoutingRules(
  deps: ListRoutingRulesDeps,
  input: ListRoutingRulesInput,
): Promise<RoutingRule[]> {
  requirePermission(input.actor, 'settings.manage');
  return deps.store.listRules(input.workspaceId);
}
