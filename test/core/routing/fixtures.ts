import {
  buildPrincipals,
  type ChatFacts,
  type WorkspaceAccessFacts,
} from '../../../src/core/access/index.js';
import {
  routingRuleSchema,
  type ContactFacts,
  type RouteChatInput,
  type RoutingRule,
  type RoutingRuleInput,
} from '../../../src/core/routing/index.js';
import { U, chatOn, hqAccount, world, type UserKey, type WorldOptions } from '../access/world.js';

/**
 * Routing scenarios on the access tests' workspace (`../access/world.ts`): team Sales (Olga
 * owner, Adam admin, Tina teammate, Alex agent, Cora collaborator, Sam agent) with sub-team
 * Sales-EU (Eva agent); Support (Otto agent); Legacy (Lea agent).
 */

let ruleCount = 0;

/** A stored rule, validated by the API's schema; positions follow creation order. */
export function rule(spec: RoutingRuleInput, position = ruleCount): RoutingRule {
  ruleCount++;
  return routingRuleSchema.parse({ ...spec, id: `rule-${ruleCount}`, position });
}

export interface Scenario {
  world?: WorldOptions;
  /** Members whose workspace role is replaced, e.g. by a custom role's id. */
  memberRole?: Partial<Record<UserKey, string>>;
  /** The new chat; default: unassigned, on HQ's account. */
  chat?: ChatFacts;
  rules?: readonly RoutingRule[];
  text?: string;
  contact?: Partial<ContactFacts>;
  open?: Partial<Record<UserKey, number>>;
  capacity?: Partial<Record<UserKey, number>>;
  /** The contact's last assignee. */
  last?: UserKey | null;
  roundRobin?: Record<string, string>;
}

export function scenarioFacts(s: Scenario): WorkspaceAccessFacts {
  const facts = world(s.world);
  const roles = s.memberRole ?? {};
  return {
    ...facts,
    members: facts.members.map((m) => {
      const key = userKeyOf(m.userId);
      const role = key ? roles[key] : undefined;
      return role ? { ...m, role } : m;
    }),
  };
}

export function routeInput(s: Scenario = {}): RouteChatInput {
  const facts = scenarioFacts(s);
  const chat = s.chat ?? chatOn(hqAccount);
  return {
    rules: s.rules ?? [],
    chat: {
      ...chat,
      contact: { name: 'Ana Pérez', phone: null, email: null, fields: {}, ...s.contact },
      firstMessageText: s.text ?? 'Hello',
    },
    principals: buildPrincipals(facts),
    teams: facts,
    openChats: byUserId(s.open),
    capacities: byUserId(s.capacity),
    lastAssigneeUserId: s.last ? U[s.last] : null,
    roundRobin: s.roundRobin ?? {},
  };
}

function byUserId(values: Partial<Record<UserKey, number>> = {}): Record<string, number> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [U[k as UserKey], v]));
}

function userKeyOf(userId: string): UserKey | undefined {
  return (Object.keys(U) as UserKey[]).find((k) => U[k] === userId);
}

/** Custom roles for members who cannot answer (PRODUCT.md §3.5). */
export const silentRoles = {
  /** Sees the chats assigned to them, may not reply. */
  reader: { id: 'role-reader', name: 'Reader', permissions: { 'chat.view': 'assigned' } },
  /** No chat access at all: cannot even be assigned. */
  nobody: { id: 'role-nobody', name: 'Nobody', permissions: {} },
};
