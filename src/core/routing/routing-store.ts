import type { RoutingRule, RoutingRuleSpec } from './rules.js';

/**
 * The store ports of the routing-rule admin actions (PRODUCT.md §4: list, add, replace,
 * remove, reorder). A workspace's rules keep positions 0…n-1; every action that moves
 * positions first takes the workspace's rule-order lock, so two admins reordering at once are
 * decided one after the other. Only a `RoutingRulesTx` can lock, and it exists only inside
 * `transaction`.
 */
export interface RoutingRulesStore {
  /** The workspace's rules in the order they are tried (what routing itself reads). */
  listRules(workspaceId: string): Promise<RoutingRule[]>;
  /** Runs `work` in one transaction: everything it wrote commits together, or nothing does. */
  transaction<T>(work: (tx: RoutingRulesTx) => Promise<T>): Promise<T>;
}

/** One audit entry (who, what, before/after), written in the action's transaction. */
export interface RoutingAuditEntry {
  workspaceId: string;
  actorUserId: string;
  action:
    'routing_rule.create' | 'routing_rule.update' | 'routing_rule.delete' | 'routing_rule.reorder';
  targetType: 'routing_rule' | 'workspace';
  targetId: string;
  before?: unknown;
  after?: unknown;
}

/** The transaction-scoped half of `RoutingRulesStore`. */
export interface RoutingRulesTx {
  /**
   * Takes the workspace's rule-order lock until the transaction ends and returns the ids of
   * its rules in their current order: positions decided on this answer still hold at commit.
   */
  lockRuleOrder(workspaceId: string): Promise<string[]>;
  /** A new rule at `position` (0…n); the rules from there on move down by one. */
  insertRule(workspaceId: string, position: number, spec: RoutingRuleSpec): Promise<RoutingRule>;
  /** Replaces a rule's content, its position kept; undefined: not a rule of the workspace. */
  updateRule(
    workspaceId: string,
    ruleId: string,
    spec: RoutingRuleSpec,
  ): Promise<RoutingRule | undefined>;
  /** Removes a rule and closes the gap it leaves; false: not a rule of the workspace. */
  deleteRule(workspaceId: string, ruleId: string): Promise<boolean>;
  /** Sets positions 0…n-1 in the order of `ruleIds`: every rule of the workspace, once. */
  setRuleOrder(workspaceId: string, ruleIds: readonly string[]): Promise<void>;
  audit(entry: RoutingAuditEntry): Promise<void>;
}
